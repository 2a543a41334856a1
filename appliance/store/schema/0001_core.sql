-- Core of the repair shop: customers, products with their stock ledger,
-- service orders, sales, the change log and gap-free folios.
-- Money columns are integer centavos. Timestamps are UTC ISO-8601 text.
-- Mutable rows carry `version` (optimistic concurrency) and soft deletes.

CREATE TABLE meta (
    clave TEXT PRIMARY KEY,
    valor TEXT NOT NULL
);

-- Gap-free human numbers for orders and sales: the counter row is updated
-- inside the same transaction that uses the number, so a rollback returns it.
CREATE TABLE folios (
    serie TEXT PRIMARY KEY,
    ultimo INTEGER NOT NULL
);
INSERT INTO folios (serie, ultimo) VALUES ('ordenes', 0), ('ventas', 0);

-- Every create/update/delete, in commit order; drives events and sync.
CREATE TABLE cambios (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    evento TEXT NOT NULL,
    entidad TEXT NOT NULL,
    entidad_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('crear', 'actualizar', 'eliminar')),
    datos TEXT NOT NULL,
    usuario TEXT,
    fecha TEXT NOT NULL
);
CREATE INDEX cambios_entidad ON cambios (entidad, entidad_id);

CREATE TABLE clientes (
    id TEXT PRIMARY KEY,
    nombre TEXT NOT NULL,
    telefono TEXT,
    email TEXT,
    direccion TEXT,
    rfc TEXT,
    notas TEXT,
    busqueda TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    creado_en TEXT NOT NULL,
    actualizado_en TEXT NOT NULL,
    eliminado_en TEXT
);
CREATE INDEX clientes_nombre ON clientes (nombre, id) WHERE eliminado_en IS NULL;

CREATE TABLE productos (
    id TEXT PRIMARY KEY,
    codigo TEXT,
    nombre TEXT NOT NULL,
    categoria TEXT,
    precio_compra INTEGER NOT NULL DEFAULT 0 CHECK (precio_compra >= 0),
    precio_venta INTEGER NOT NULL DEFAULT 0 CHECK (precio_venta >= 0),
    stock INTEGER NOT NULL DEFAULT 0,
    stock_minimo INTEGER NOT NULL DEFAULT 0 CHECK (stock_minimo >= 0),
    activo INTEGER NOT NULL DEFAULT 1,
    busqueda TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    creado_en TEXT NOT NULL,
    actualizado_en TEXT NOT NULL
);
CREATE UNIQUE INDEX productos_codigo ON productos (codigo) WHERE codigo IS NOT NULL;
CREATE INDEX productos_nombre ON productos (nombre, id);
CREATE INDEX productos_categoria ON productos (categoria, nombre);

-- The kardex: `productos.stock` is a cache of SUM(delta) per product.
CREATE TABLE movimientos_stock (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    producto_id TEXT NOT NULL REFERENCES productos (id),
    delta INTEGER NOT NULL,
    motivo TEXT NOT NULL CHECK (motivo IN ('venta', 'compra', 'ajuste', 'conteo', 'merma', 'devolucion', 'orden')),
    referencia TEXT,
    nota TEXT,
    usuario TEXT,
    stock_resultante INTEGER NOT NULL,
    fecha TEXT NOT NULL
);
CREATE INDEX movimientos_producto ON movimientos_stock (producto_id, id);

CREATE TABLE ordenes (
    id TEXT PRIMARY KEY,
    folio INTEGER NOT NULL UNIQUE,
    cliente_id TEXT NOT NULL REFERENCES clientes (id),
    equipo TEXT NOT NULL CHECK (equipo IN ('celular', 'laptop', 'pc', 'tablet', 'consola', 'otro')),
    marca TEXT,
    modelo TEXT,
    numero_serie TEXT,
    color TEXT,
    accesorios TEXT,
    contrasena TEXT,
    falla_reportada TEXT NOT NULL,
    condicion TEXT NOT NULL DEFAULT '[]',
    diagnostico TEXT,
    presupuesto INTEGER CHECK (presupuesto >= 0),
    anticipo INTEGER NOT NULL DEFAULT 0 CHECK (anticipo >= 0),
    costo_final INTEGER CHECK (costo_final >= 0),
    adeudo INTEGER NOT NULL DEFAULT 0,
    tecnico_id TEXT,
    prioridad TEXT NOT NULL DEFAULT 'normal' CHECK (prioridad IN ('baja', 'normal', 'alta', 'urgente')),
    fecha_promesa TEXT,
    fecha_entrega TEXT,
    garantia_dias INTEGER NOT NULL DEFAULT 90 CHECK (garantia_dias >= 0),
    notas TEXT,
    estado TEXT NOT NULL DEFAULT 'recibido',
    busqueda TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    creado_en TEXT NOT NULL,
    actualizado_en TEXT NOT NULL
);
CREATE INDEX ordenes_estado ON ordenes (estado, folio);
CREATE INDEX ordenes_estado_promesa ON ordenes (estado, fecha_promesa);
CREATE INDEX ordenes_cliente ON ordenes (cliente_id);
CREATE INDEX ordenes_tecnico ON ordenes (tecnico_id);
CREATE INDEX ordenes_creado ON ordenes (creado_en);

CREATE TABLE orden_historial (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    orden_id TEXT NOT NULL REFERENCES ordenes (id),
    de_estado TEXT,
    a_estado TEXT NOT NULL,
    nota TEXT,
    usuario TEXT,
    fecha TEXT NOT NULL
);
CREATE INDEX orden_historial_orden ON orden_historial (orden_id, id);

-- Part (from inventory, consumes stock) or labor line of a service order.
CREATE TABLE orden_partes (
    id TEXT PRIMARY KEY,
    orden_id TEXT NOT NULL REFERENCES ordenes (id),
    tipo TEXT NOT NULL CHECK (tipo IN ('parte', 'mano_obra')),
    producto_id TEXT REFERENCES productos (id),
    descripcion TEXT NOT NULL,
    cantidad INTEGER NOT NULL CHECK (cantidad > 0),
    precio_unitario INTEGER NOT NULL CHECK (precio_unitario >= 0),
    importe INTEGER NOT NULL,
    usuario TEXT,
    fecha TEXT NOT NULL
);
CREATE INDEX orden_partes_orden ON orden_partes (orden_id);

CREATE TABLE ventas (
    id TEXT PRIMARY KEY,
    folio INTEGER NOT NULL UNIQUE,
    cliente_id TEXT REFERENCES clientes (id),
    orden_id TEXT REFERENCES ordenes (id),
    subtotal INTEGER NOT NULL,
    iva INTEGER NOT NULL,
    descuento INTEGER NOT NULL,
    total INTEGER NOT NULL,
    pagado INTEGER NOT NULL,
    cambio INTEGER NOT NULL,
    estado TEXT NOT NULL CHECK (estado IN ('completada', 'cancelada')),
    motivo_cancelacion TEXT,
    cancelada_en TEXT,
    notas TEXT,
    usuario TEXT,
    fecha TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    actualizado_en TEXT NOT NULL
);
-- Covering: the dashboard sums a month of sales without touching the table.
CREATE INDEX ventas_fecha ON ventas (fecha, estado, id, total, cambio);
CREATE INDEX ventas_cliente ON ventas (cliente_id);
CREATE INDEX ventas_orden ON ventas (orden_id);

-- A product line (producto_id set) or a service line (charging a repair).
CREATE TABLE venta_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    venta_id TEXT NOT NULL REFERENCES ventas (id),
    producto_id TEXT REFERENCES productos (id),
    descripcion TEXT NOT NULL,
    cantidad INTEGER NOT NULL CHECK (cantidad > 0),
    precio_unitario INTEGER NOT NULL CHECK (precio_unitario >= 0),
    descuento INTEGER NOT NULL DEFAULT 0 CHECK (descuento >= 0),
    importe INTEGER NOT NULL CHECK (importe >= 0)
);
CREATE INDEX venta_items_venta ON venta_items (venta_id, producto_id, cantidad, importe);
CREATE INDEX venta_items_producto ON venta_items (producto_id);

CREATE TABLE venta_pagos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    venta_id TEXT NOT NULL REFERENCES ventas (id),
    metodo TEXT NOT NULL CHECK (metodo IN ('efectivo', 'tarjeta', 'transferencia')),
    monto INTEGER NOT NULL CHECK (monto > 0),
    referencia TEXT
);
CREATE INDEX venta_pagos_venta ON venta_pagos (venta_id, metodo, monto);
