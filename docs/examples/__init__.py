"""Example inputs of every form (docs/examples), installed as ``forms_service.examples``."""
