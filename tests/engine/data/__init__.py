"""Tests of engine/data: hostile files, bounded reads, data validation."""
