import os
import sys

import torch

# Tests import the stage scripts (repository root) and the helpers beside them.
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

# The test models are tiny: one thread is as fast as two, and never fights the sandbox for a core.
torch.set_num_threads(1)
