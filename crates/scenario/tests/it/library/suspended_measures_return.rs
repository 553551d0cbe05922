//! Placeholder: tests of the scenario are written here.
