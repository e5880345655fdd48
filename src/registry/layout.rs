//! OCI image layout directories: `oci-layout`, `index.json`, `blobs/sha256/…`.
