from .. import other
y = 1
