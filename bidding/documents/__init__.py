"""The platform's documents: the PDFs it generates from its own data (``pdf/``) and what the
domain keeps about them. Imports no Flask."""
