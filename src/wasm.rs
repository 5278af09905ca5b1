//! The JavaScript facade: opaque handles over the core library, no logic of its own.
