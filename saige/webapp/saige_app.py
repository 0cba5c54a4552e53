"""Saige's Streamlit script inside the installed package: `saige serve` runs this file.

`app.py` at the top of a source checkout is a shim that does the same (`streamlit run app.py`).
"""

from saige.ui.main import main

main()
