"""HTTP for products and stock: /inventario."""

from __future__ import annotations

from typing import Annotated

from flask_openapi3 import APIBlueprint, Tag
from pydantic import BaseModel, Field

from ..shop import inventario
from ..shop.schemas import ProductoIn, ProductoUpdate, QueryText, Search, StockIn
from .context import db, expected_version, usuario, write
from .gate import requires
from .models import ERROR_RESPONSES, SIGNED_IN, Fecha, IdPath, PageInfo, PageQuery

bp = APIBlueprint(
    "inventario",
    __name__,
    url_prefix="/inventario",
    abp_tags=[Tag(name="Inventario")],
    abp_responses=ERROR_RESPONSES,
    abp_security=SIGNED_IN,
)


class ProductoOut(BaseModel):
    id: str
    codigo: str | None
    nombre: str
    categoria: str | None
    precio_compra: float
    precio_venta: float
    stock: int
    stock_minimo: int
    activo: bool
    bajo_stock: bool
    version: int
    creado_en: Fecha
    actualizado_en: Fecha


class ProductosPage(PageInfo):
    items: list[ProductoOut]


class ProductosQuery(PageQuery):
    q: Search = None
    categoria: QueryText(60)
    bajo_stock: bool | None = None
    incluir_inactivos: bool = False


class Movimiento(BaseModel):
    id: int
    delta: int
    motivo: str
    referencia: str | None
    nota: str | None
    usuario: str | None
    stock_resultante: int
    fecha: Fecha


class StockOut(BaseModel):
    producto: ProductoOut
    movimiento: Movimiento | None


class Kardex(PageInfo):
    producto: ProductoOut
    suma_movimientos: int = Field(description="Suma del kardex; siempre igual al stock")
    items: list[Movimiento]


class KardexQuery(PageQuery):
    limit: Annotated[int, Field(ge=1, le=500)] = 100


@bp.get("", summary="Listar productos", responses={200: ProductosPage})
@requires("inventario:leer")
def listar(query: ProductosQuery):
    with db().read() as tx:
        return inventario.list_productos(tx, **query.model_dump())


@bp.post("", summary="Crear producto", responses={201: ProductoOut})
@requires("inventario:escribir")
def crear(body: ProductoIn):
    with write() as tx:
        return inventario.create_producto(tx, body.model_dump(), usuario()), 201


@bp.get("/<id>", summary="Obtener producto", responses={200: ProductoOut})
@requires("inventario:leer")
def obtener(path: IdPath):
    with db().read() as tx:
        return inventario.get_producto(tx, path.id)


@bp.put("/<id>", summary="Editar producto (activo=false para darlo de baja)", responses={200: ProductoOut})
@requires("inventario:escribir")
def actualizar(path: IdPath, body: ProductoUpdate):
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    version = expected_version(body.version)
    with write() as tx:
        return inventario.update_producto(tx, path.id, changes, version, usuario())


@bp.put("/<id>/stock", summary="Ajustar stock (compra, ajuste, merma, devolución o conteo)", responses={200: StockOut})
@requires("inventario:ajustar")
def ajustar_stock(path: IdPath, body: StockIn):
    with write() as tx:
        return inventario.adjust_stock(
            tx, path.id, body.motivo, cantidad=body.cantidad, stock=body.stock, nota=body.nota, usuario=usuario()
        )


@bp.get("/<id>/movimientos", summary="Kárdex del producto", responses={200: Kardex})
@requires("inventario:leer")
def movimientos(path: IdPath, query: KardexQuery):
    with db().read() as tx:
        return inventario.list_movimientos(tx, path.id, limit=query.limit, offset=query.offset)
