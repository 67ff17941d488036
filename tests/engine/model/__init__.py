"""Tests of engine/model: hostile project files."""
