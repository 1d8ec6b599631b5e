"""``recur serve``: a local web page over one trained language model, a thin face over the library.

``app.create_app(lm)`` builds the Starlette app (the page, ``/api/generate`` streaming text as it is
drawn, ``/api/cells`` recording and ranking units); ``limits`` says what a request may ask;
``relay`` carries text from the model's worker thread to the response; ``page`` is the HTML;
``server`` binds the socket and runs uvicorn. Only ``limits`` is importable without Starlette.
"""
