# A plain HTTP server, from a binary built on the host by build.sh.
FROM scratch
COPY bin/whoami /whoami
ENV PORT=8080
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/whoami"]
