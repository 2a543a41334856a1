"""Who may do what: every permission and the roles that hold it, in one table.

Each HTTP endpoint declares the one permission it needs (`api.security.requires`);
this table is the only place that says which roles have it. The owner (`dueno`)
holds every permission.
"""

from __future__ import annotations

from .errors import Forbidden

ALL = ("dueno", "tecnico", "mostrador")
COUNTER = ("dueno", "mostrador")
BENCH = ("dueno", "tecnico")
OWNER = ("dueno",)

PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Technicians read customers to call them about their device.
    "clientes:leer": ALL,
    "clientes:escribir": COUNTER,
    "clientes:eliminar": COUNTER,
    "inventario:leer": ALL,
    # Prices and the catalogue are the owner's; stock moves by sales and parts, or by
    # an owner's adjustment (purchase, shrinkage, count).
    "inventario:escribir": OWNER,
    "inventario:ajustar": OWNER,
    "ordenes:leer": ALL,
    "ordenes:recibir": COUNTER,
    "ordenes:editar": ALL,
    # Anyone may move an order; which target states depends on the role (below).
    "ordenes:cambiar_estado": ALL,
    # Bench states (diagnosis, repair, ready...) belong to technicians; handing the
    # device back or cancelling is done with the customer at the counter.
    "ordenes:estado_taller": BENCH,
    "ordenes:estado_mostrador": COUNTER,
    "ordenes:partes": BENCH,
    # Device passcodes: only the roles that work on the device see them.
    "ordenes:ver_acceso": BENCH,
    "ventas:leer": COUNTER,
    "ventas:crear": COUNTER,
    "ventas:cancelar": OWNER,
    "stats:leer": ALL,
    "usuarios:administrar": OWNER,
    "auditoria:leer": OWNER,
    # A backup is a full copy of every customer and sale; restoring one rewinds the shop.
    "respaldos:administrar": OWNER,
    "sesion": ALL,
}

ROLE_NAMES = {"dueno": "dueño", "tecnico": "técnico", "mostrador": "mostrador"}

# Order states a counter worker may move an order to; any other target is bench work.
COUNTER_STATES = frozenset({"entregado", "cancelado"})


def allowed(rol: str, permission: str) -> bool:
    """True when `rol` holds `permission` (unknown permissions are held by nobody)."""
    return rol in PERMISSIONS.get(permission, ())


def require(rol: str, permission: str) -> None:
    """Raise Forbidden (403, Spanish message) unless `rol` holds `permission`."""
    if not allowed(rol, permission):
        raise Forbidden(f"Tu rol ({ROLE_NAMES.get(rol, rol)}) no permite esta acción.", fields={"permiso": permission})


def estado_permission(estado: str) -> str:
    """The permission needed to move an order to `estado`."""
    return "ordenes:estado_mostrador" if estado in COUNTER_STATES else "ordenes:estado_taller"


# Which permission lets a role see an entity's changes (WebSocket events, sync).
READ_PERMISSION = {
    "clientes": "clientes:leer",
    "productos": "inventario:leer",
    "ordenes": "ordenes:leer",
    "ventas": "ventas:leer",
    # base_restaurada: every client must know its cache is stale.
    "base": "sesion",
}


def shown_orden(rol: str, orden: dict) -> dict:
    """An order as `rol` may see it: the device passcode only for the roles that work on the device."""
    if "contrasena" in orden and not allowed(rol, "ordenes:ver_acceso"):
        return {**orden, "contrasena": None}
    return orden


def visible_change(rol: str, entidad: str, datos: dict) -> dict | None:
    """A change's data as `rol` may see it, or None if the role may not see that entity at all."""
    permission = READ_PERMISSION.get(entidad)
    if permission is None or not allowed(rol, permission):
        return None
    return shown_orden(rol, datos) if entidad == "ordenes" else datos
