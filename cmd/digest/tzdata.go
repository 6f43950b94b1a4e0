package main

// The IANA time zone database is built into the binary (about 450 KB), so
// DIGEST_TIMEZONE works where the system has no zoneinfo: in the container
// image, which is FROM scratch, and on minimal hosts.
import _ "time/tzdata"
