# deploy/: `make image` builds the node image the DaemonSet runs (deploy/Containerfile) with
# podman, from a `make install` tree; IMAGE_BASE overrides its Debian 12 base image. The name
# is checked against the manifests by tests/integration/deploy_manifests.sh.
UNIROOT_IMAGE = localhost/uniroot-node:$(UR_VERSION)
IMAGE_BASE   ?= docker.io/library/debian:bookworm-slim

.PHONY: image
image:
	rm -rf $(BUILD)/image-root
	$(MAKE) install DESTDIR=$(CURDIR)/$(BUILD)/image-root PREFIX=/usr/local
	podman build --build-arg BASE=$(IMAGE_BASE) -f deploy/Containerfile -t $(UNIROOT_IMAGE) $(BUILD)/image-root
