"""Stock tracking for the shop."""


class OutOfStock(Exception):
    pass


class Inventory:
    def __init__(self):
        self._stock = {}

    def add(self, name, qty):
        if qty <= 0:
            raise ValueError("quantity must be positive")
        self._stock[name] = self._stock.get(name, 0) + qty

    def remove(self, name, qty):
        if qty > self.count(name):
            raise OutOfStock(name)
        self._stock[name] -= qty

    def count(self, name):
        return self._stock.get(name, 0)

    def low_stock(self, threshold):
        return sorted(n for n, q in self._stock.items() if q < threshold)
