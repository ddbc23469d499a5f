//! Shared fixtures for the alwayson benchmarks.
