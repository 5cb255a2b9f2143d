"""Elementwise arithmetic: forward and backward side by side.

Binary ops broadcast like NumPy; their backward sums the gradient back to
each operand's shape with `sum_to`. g is dL/dy, the gradient arriving from above.
"""
from ..backend import backend_of
from ..tensor import Function, sum_to


class Add(Function):
    """y = a + b;  dL/da = g,  dL/db = g"""
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a + b

    def backward(self, g):
        return sum_to(g, self.shapes[0]), sum_to(g, self.shapes[1])


class Sub(Function):
    """y = a - b;  dL/da = g,  dL/db = -g"""
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return a - b

    def backward(self, g):
        return sum_to(g, self.shapes[0]), sum_to(-g, self.shapes[1])


class Mul(Function):
    """y = a * b;  dL/da = g * b,  dL/db = g * a"""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        a, b = self.a, self.b
        return sum_to(g * b, a.shape), sum_to(g * a, b.shape)


class Div(Function):
    """y = a / b;  dL/da = g / b,  dL/db = -g * a / b^2 = -g * y / b"""
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, g):
        a, b = self.a, self.b
        ga = g / b
        return sum_to(ga, a.shape), sum_to(-ga * a / b, b.shape)


class Neg(Function):
    """y = -x;  dL/dx = -g"""
    def forward(self, x):
        return -x

    def backward(self, g):
        return (-g,)


class Pow(Function):
    """y = x^c for a constant number c;  dL/dx = g * c * x^(c-1)"""
    def __init__(self, c):
        if not isinstance(c, (int, float)):
            raise TypeError(f"pow takes a constant exponent (int or float), not {type(c).__name__}")
        self.c = c

    def forward(self, x):
        self.x = x
        return x ** self.c

    def backward(self, g):
        return (g * self.c * self.x ** (self.c - 1),)


class Exp(Function):
    """y = e^x;  dL/dx = g * y"""
    def forward(self, x):
        self.y = backend_of(x).xp.exp(x)
        return self.y

    def backward(self, g):
        return (g * self.y,)


class Log(Function):
    """y = ln x;  dL/dx = g / x"""
    def forward(self, x):
        self.x = x
        return backend_of(x).xp.log(x)

    def backward(self, g):
        return (g / self.x,)


class Tanh(Function):
    """y = tanh x;  dL/dx = g * (1 - y^2)"""
    def forward(self, x):
        self.y = backend_of(x).xp.tanh(x)
        return self.y

    def backward(self, g):
        return (g * (1 - self.y * self.y),)


class Erf(Function):
    """y = erf x = 2/sqrt(pi) * integral_0^x e^(-t^2) dt;  dL/dx = g * 2/sqrt(pi) * e^(-x^2)"""
    def forward(self, x):
        self.x = x
        return backend_of(x).erf(x)

    def backward(self, g):
        xp = backend_of(self.x).xp
        return (g * (2 / xp.sqrt(xp.pi)) * xp.exp(-self.x * self.x),)


class Where(Function):
    """y = cond ? a : b  (cond a constant boolean array);  dL/da = g [cond],  dL/db = g [not cond]"""
    def __init__(self, cond):
        self.cond = cond

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return backend_of(a).xp.where(self.cond, a, b)

    def backward(self, g):
        xp = backend_of(g).xp
        zero = xp.zeros((), dtype=g.dtype)
        return (sum_to(xp.where(self.cond, g, zero), self.shapes[0]),
                sum_to(xp.where(self.cond, zero, g), self.shapes[1]))
