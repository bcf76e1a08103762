"""The products the bots' tests ask about: what the shop's pages would hand the bot."""

from bots.base import ProductFacts

BOOK = ProductFacts(
    name="Isomorphic Go Book",
    price="44.99",
    stock=15,
    description="Learn to build isomorphic web applications in Go. Paperback, 500 pages.",
    attributes=(("Author", "Kamesh Balasubramanian"), ("Format", "Paperback"), ("Pages", "500")),
)
MUG = ProductFacts(
    name="Gopher Coffee Mug",
    price="12.50",
    stock=120,
    description="A 350 ml ceramic mug with a gopher. Dishwasher safe.",
    attributes=(("Capacity", "350 ml"), ("Material", "ceramic")),
)
HOODIE = ProductFacts(
    name="Gopher Hoodie", price="49.00", stock=0, description="A warm cotton hoodie."
)
PLUSH = ProductFacts(
    name="Gopher Plush Toy",
    price="19.99",
    stock=42,
    description="A soft, huggable Go gopher.",
    url="/products/gopher-plush-toy/",
)
