"""The Streamlit app's pieces: Markdown-safe text, chat, sources, guidelines browser and design review.

Modules here import Streamlit inside functions or are imported only by `app.py`, so importing the
`saige` package never loads Streamlit, torch or Chroma.
"""
