from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's compressed, hashed static files, with the imports of the chat box's and
    the console's ES modules (``import ... from "./common.js";``) pointing at the hashed
    files too, so a page never runs a new module against an old, cached import."""

    support_js_module_import_aggregation = True
