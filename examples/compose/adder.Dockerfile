# The adder behind the platform's shim (handler protocol), from binaries
# built on the host by build.sh: no image is pulled.
FROM scratch
COPY bin/lambda-shim /lambda-shim
COPY bin/adder /adder
ENV PORT=8080
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/lambda-shim", "--protocol", "handler", "--", "/adder"]
