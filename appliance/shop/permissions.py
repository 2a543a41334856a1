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
    # Money the counter cannot decide alone: a catalogue product sold or fitted at another
    # price, a discount above DISCOUNT_LIMIT_PERCENT of the line, an order's final cost
    # (the bench prices the repair, the counter charges it).
    "precios:modificar": OWNER,
    "descuentos:sin_limite": OWNER,
    "ordenes:costo_final": BENCH,
    "stats:leer": ALL,
    "usuarios:administrar": OWNER,
    # Who works here (name and role, no account details): the counter picks the technician at intake.
    "personal:leer": ALL,
    "auditoria:leer": OWNER,
    # A backup is a full copy of every customer and sale; restoring one rewinds the shop.
    "respaldos:administrar": OWNER,
    # The shop's data (name, address, warranty, ticket footer) goes on every ticket and
    # message: everyone reads it, the owner edits it.
    "taller:leer": ALL,
    "taller:editar": OWNER,
    "sesion": ALL,
}

ROLE_NAMES = {"dueno": "dueño", "tecnico": "técnico", "mostrador": "mostrador"}

# Order states a counter worker may move an order to; any other target is bench work.
COUNTER_STATES = frozenset({"entregado", "cancelado"})


def allowed(rol: str, permission: str) -> bool:
    """True when `rol` holds `permission` (unknown permissions are held by nobody)."""
    return rol in PERMISSIONS.get(permission, ())


def held(rol: str) -> list[str]:
    """The names of every permission `rol` holds, sorted (what a client may offer this role)."""
    return sorted(permission for permission, roles in PERMISSIONS.items() if rol in roles)


def require(rol: str, permission: str, *, action: str = "esta acción", field: str | None = None) -> None:
    """Raise Forbidden (403, Spanish message) unless `rol` holds `permission`.

    `action` says in Spanish what was refused; `field` names the input that asked for it.
    """
    if allowed(rol, permission):
        return
    who = ", ".join(ROLE_NAMES[name] for name in PERMISSIONS.get(permission, ()))
    message = f"Tu rol ({ROLE_NAMES.get(rol, rol)}) no permite {action}."
    if field is None:
        raise Forbidden(message, fields={"permiso": permission})
    raise Forbidden(f"{message} Lo autoriza: {who}.", fields={field: f"Lo autoriza: {who}."})


def estado_permission(estado: str) -> str:
    """The permission needed to move an order to `estado`."""
    return "ordenes:estado_mostrador" if estado in COUNTER_STATES else "ordenes:estado_taller"


# Which permission lets a role see an entity's changes (WebSocket events, sync).
READ_PERMISSION = {
    "clientes": "clientes:leer",
    "productos": "inventario:leer",
    "ordenes": "ordenes:leer",
    "ventas": "ventas:leer",
    "taller": "taller:leer",
    # base_restaurada: every client must know its cache is stale.
    "base": "sesion",
}


def choosable_estados(rol: str, estados: list[str] | tuple[str, ...]) -> list[str]:
    """Of the states an order may move to, those `rol` may choose (bench work or counter work)."""
    return [estado for estado in estados if allowed(rol, estado_permission(estado))]


def shown_orden(rol: str, orden: dict) -> dict:
    """An order as `rol` may see it, wherever it reaches a client (REST, events, sync).

    The device passcode only for the roles that work on the device; of its next
    states (`siguientes_estados`) only those the role may choose.
    """
    shown = orden
    if "contrasena" in orden and not allowed(rol, "ordenes:ver_acceso"):
        shown = {**shown, "contrasena": None}
    if "siguientes_estados" in orden:
        choosable = choosable_estados(rol, orden["siguientes_estados"])
        if choosable != orden["siguientes_estados"]:
            shown = {**shown, "siguientes_estados": choosable}
    return shown


def visible_change(rol: str, entidad: str, datos: dict) -> dict | None:
    """A change's data as `rol` may see it, or None if the role may not see that entity at all."""
    permission = READ_PERMISSION.get(entidad)
    if permission is None or not allowed(rol, permission):
        return None
    return shown_orden(rol, datos) if entidad == "ordenes" else datos
