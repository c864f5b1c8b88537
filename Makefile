# The two commands of the README. Everything else is in scripts/.
.PHONY: demo test package
demo:
	scripts/demo.sh
test:
	scripts/test.sh
package:
	scripts/package.sh
