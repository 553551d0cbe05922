//! Integration tests of the scenario loader.
