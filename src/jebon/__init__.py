"""jebon: compile a Korean magazine series of Markdown articles into EPUB 3 books (and PDF volumes)."""

__version__ = "0.1.0"

from .api import BuildReport, OutputFile, build, check, load_book

__all__ = ["BuildReport", "OutputFile", "__version__", "build", "check", "load_book"]
