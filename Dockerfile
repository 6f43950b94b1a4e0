# The digest image, in the GoReleaser style: a static binary built outside
# the image (CGO_ENABLED=0, so it needs no libc) copied into an empty image
# with the CA certificates for HTTPS and SMTPS. Time zone data is built into
# the binary. Build it from a clone (README, "Container image"):
#
#   CGO_ENABLED=0 go build -trimpath -o dist/digest ./cmd/digest
#   cp /etc/ssl/certs/ca-certificates.crt dist/
#   podman build -t digest -f Dockerfile dist/      # or docker build
#
# It runs as an unprivileged user; give it a writable folder for the state
# file and the outbox, e.g. -v /srv/digest:/data.
FROM scratch
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY digest /digest
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["/digest"]
CMD ["run"]
