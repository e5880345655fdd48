//! docker-archive tarballs (`docker save`): the legacy `manifest.json` form and the OCI layout in a tar.
