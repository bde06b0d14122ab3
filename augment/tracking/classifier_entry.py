"""MLflow "models from code" entry point of the logged classifier.

`augment.tracking.classifier_model.log_classifier` logs this file as the pyfunc's code, so the
model directory holds source, plain JSON metadata and the classifier as skops or a weights-only
``.pt`` file: no pickle. ``mlflow.pyfunc.load_model`` and ``mlflow models serve`` run this file;
``augment predict`` does not (it reads the files itself, see
`augment.tracking.classifier_model.load_classifier`). Either way the classifier's file is checked
against the SHA-256 recorded at logging before it is read.
"""

from augment.tracking.classifier_model import set_classifier_model

set_classifier_model()
