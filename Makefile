# The two commands of the README. Everything else is in scripts/.
.PHONY: demo test
demo:
	scripts/demo.sh
test:
	scripts/test.sh
