package lambda

// CodeLayerMarker, as the line before the last instruction of a build
// context's Dockerfile, says that instruction is a plain COPY of the
// function's code into directories that are root's with mode 0755 (the
// platform's runtimes write it; a user's Dockerfile goes to the builder
// as it is). An ImageBuilder may then write that COPY's layer itself:
// Docker's classic builder runs the COPY, and every step after it, again
// for each new version, while what comes before is found in its cache.
const CodeLayerMarker = "# lambda: the code's layer"
