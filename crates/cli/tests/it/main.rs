//! Integration tests of the chokepoint command.
