# The two commands of the README. Everything else is in scripts/.
.PHONY: demo test package bench
demo:
	scripts/demo.sh
test:
	scripts/test.sh
package:
	scripts/package.sh
bench:
	scripts/bench.sh
