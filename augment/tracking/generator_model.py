"""MLflow "models from code" entry point of the logged generator.

`augment.tracking.model.log_generator` logs this file as the pyfunc's code, so the model
directory holds source, plain JSON metadata and a weights-only ``.pt`` file: no pickle.
``mlflow.pyfunc.load_model`` runs this file; ``augment generate`` does not even do that (it
reads the weights and the metadata itself, see `augment.tracking.model.load_generator`). Either
way the weights file is checked against the SHA-256 recorded at logging before it is read.
"""

from augment.tracking.model import set_generator_model

set_generator_model()
