"""Demo data: a Mexican repair shop's customers, catalog, service orders and sales, in bulk.

`python -m appliance demo-data` calls `fill`. The shop's history (about 18 months up to now) is
drawn in memory and written with `executemany` in one write transaction, all or nothing, by a
second thread while the next rows are drawn. That skips the domain functions, so this module
keeps by hand every invariant they keep: UUID ids, `busqueda` over the same fields, integer
centavos, folios continuing the counters, `stock` equal to the sum of the product's ledger and
never negative, an order history that walks `ordenes.TRANSITIONS`, delivered orders paid through
linked sales or owed as `adeudo`, and one change-log row per created record, in causal order, so
sync clients see it. The same --seed on an empty database gives the same records, dated
relative to today.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import random
import threading
import unicodedata
import uuid
from bisect import bisect
from collections.abc import Mapping
from itertools import accumulate, pairwise
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from .config import Config, ConfigError
from .shop import clock
from .shop.events import last_seq
from .shop.money import split_iva, to_number
from .shop.text import search_text
from .store import Database, Tx

HISTORY = dt.timedelta(days=548)  # about 18 months of shop life
HOUR = dt.timedelta(hours=1)
# The checklist as ordenes._encode writes it; json.dumps(..., ensure_ascii=False) would build an
# encoder per call, one shared encoder writes the same text.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


class Weighted(NamedTuple):
    """Values and their cumulative weights."""

    values: tuple[Any, ...]
    cum_weights: tuple[float, ...]


def _weighted(pairs: tuple[tuple[Any, float], ...]) -> Weighted:
    values, weights = zip(*pairs, strict=True)
    return Weighted(values, tuple(accumulate(weights)))


# ---------------------------------------------------------------------------
# People and places
# ---------------------------------------------------------------------------

NOMBRES_HOMBRE = (
    "José",
    "Juan",
    "Luis",
    "Carlos",
    "Jorge",
    "Miguel",
    "Jesús",
    "Francisco",
    "Antonio",
    "Alejandro",
    "Fernando",
    "Ricardo",
    "Eduardo",
    "Roberto",
    "Raúl",
    "Ramón",
    "Martín",
    "Andrés",
    "Víctor",
    "Ángel",
    "Héctor",
    "Iván",
    "Rubén",
    "Adrián",
    "Julián",
    "Germán",
    "Nicolás",
    "Tomás",
    "Joaquín",
    "Sebastián",
    "Darío",
    "Efraín",
    "Benjamín",
    "Óscar",
    "Mario",
    "Arturo",
    "Enrique",
    "Sergio",
    "Alberto",
    "Diego",
    "Emiliano",
    "Santiago",
    "Mateo",
    "Leonardo",
    "Gerardo",
    "Hugo",
    "Rogelio",
    "Salvador",
    "Abraham",
    "José Luis",
    "Juan Carlos",
    "Miguel Ángel",
    "José Antonio",
    "Juan Pablo",
    "Luis Ángel",
    "José Manuel",
)
NOMBRES_MUJER = (
    "María",
    "Guadalupe",
    "Sofía",
    "Mónica",
    "Verónica",
    "Inés",
    "Lucía",
    "Rocío",
    "Beatriz",
    "Natalia",
    "Ximena",
    "Fátima",
    "Ana",
    "Patricia",
    "Leticia",
    "Adriana",
    "Alejandra",
    "Gabriela",
    "Claudia",
    "Daniela",
    "Valeria",
    "Camila",
    "Regina",
    "Renata",
    "Jimena",
    "Andrea",
    "Mariana",
    "Karla",
    "Yolanda",
    "Rosa",
    "Araceli",
    "Maribel",
    "Itzel",
    "Citlali",
    "Xóchitl",
    "Dulce",
    "Noemí",
    "Belén",
    "Raquel",
    "Concepción",
    "Martha",
    "Elena",
    "Teresa",
    "Silvia",
    "Lourdes",
    "Irene",
    "Angélica",
    "Brenda",
    "María José",
    "María Fernanda",
    "Ana Sofía",
    "María Guadalupe",
    "Ana Karen",
    "Luz María",
)
APELLIDOS = (
    "Hernández",
    "García",
    "Martínez",
    "López",
    "González",
    "Pérez",
    "Rodríguez",
    "Sánchez",
    "Ramírez",
    "Cruz",
    "Flores",
    "Gómez",
    "Morales",
    "Vázquez",
    "Jiménez",
    "Reyes",
    "Díaz",
    "Torres",
    "Gutiérrez",
    "Ruiz",
    "Mendoza",
    "Aguilar",
    "Ortiz",
    "Moreno",
    "Castillo",
    "Romero",
    "Álvarez",
    "Méndez",
    "Chávez",
    "Rivera",
    "Juárez",
    "Ramos",
    "Domínguez",
    "Herrera",
    "Medina",
    "Castro",
    "Vargas",
    "Guzmán",
    "Velázquez",
    "Muñoz",
    "Rojas",
    "Contreras",
    "Salazar",
    "Luna",
    "Ortega",
    "Santiago",
    "Guerrero",
    "Estrada",
    "Bautista",
    "Cortés",
    "Soto",
    "Alvarado",
    "Espinoza",
    "Lara",
    "Ríos",
    "Núñez",
    "Peña",
    "Ibarra",
    "Valdez",
    "Cervantes",
    "Acosta",
    "Ávila",
    "Navarro",
    "Campos",
    "Fuentes",
    "Zúñiga",
    "Cárdenas",
    "Solís",
    "Villanueva",
    "Rosales",
    "Meléndez",
    "Beltrán",
    "Orozco",
    "Ordóñez",
    "Montaño",
    "Galván",
    "Saldaña",
    "Patiño",
    "Quiñones",
    "Carreño",
    "Toledo",
    "Olvera",
    "Sandoval",
    "Carrillo",
    "Delgado",
    "Escobar",
    "Benítez",
    "Córdova",
    "Maldonado",
    "Miranda",
    "Tapia",
    "Zamora",
    "Ochoa",
)
GIROS = (
    "Papelería",
    "Abarrotes",
    "Farmacia",
    "Ciber",
    "Consultorio Dental",
    "Despacho Contable",
    "Taller Mecánico",
    "Escuela de Computación",
    "Estética",
    "Refaccionaria",
    "Tortillería",
    "Ferretería",
)
FANTASIAS = (
    "La Esperanza",
    "San Judas",
    "El Estudiante",
    "Guadalupana",
    "Del Centro",
    "Los Pinos",
    "Santa Fe",
    "La Económica",
    "El Sol",
    "Don Pepe",
    "La Güera",
    "Las Palmas",
)
# (city, state abbreviation, area code, neighbourhoods), weight
CIUDADES = _weighted(
    (
        (
            (
                "Ciudad de México",
                "CDMX",
                "55",
                (
                    "Centro",
                    "Roma Norte",
                    "Narvarte",
                    "Del Valle",
                    "Portales",
                    "Santa María la Ribera",
                    "Iztacalco",
                    "Lindavista",
                    "Coyoacán",
                ),
            ),
            30,
        ),
        (("Ecatepec", "Edo. Méx.", "55", ("Jardines de Morelos", "Ciudad Azteca", "San Cristóbal")), 8),
        (("Nezahualcóyotl", "Edo. Méx.", "55", ("Benito Juárez", "Metropolitana", "Impulsora")), 6),
        (("Guadalajara", "Jal.", "33", ("Americana", "Providencia", "Oblatos", "Chapalita", "Santa Tere")), 14),
        (("Zapopan", "Jal.", "33", ("Ciudad Granja", "Las Águilas", "Tabachines")), 6),
        (("Monterrey", "N.L.", "81", ("Centro", "Mitras Centro", "Contry", "Cumbres", "Obispado")), 12),
        (("San Nicolás de los Garza", "N.L.", "81", ("Anáhuac", "Las Puentes", "Casa Blanca")), 4),
        (("Puebla", "Pue.", "222", ("La Paz", "El Carmen", "San Manuel", "Huexotitla")), 5),
        (("Querétaro", "Qro.", "442", ("Centro Histórico", "Jurica", "Álamos")), 4),
        (("León", "Gto.", "477", ("Centro", "León Moderno", "Jardines del Moral")), 4),
        (("Mérida", "Yuc.", "999", ("Centro", "García Ginerés", "Francisco de Montejo")), 3),
        (("Tijuana", "B.C.", "664", ("Zona Río", "Otay", "Playas de Tijuana")), 3),
        (("Toluca", "Edo. Méx.", "722", ("Centro", "San Bernardino", "Universidad")), 3),
    )
)
CALLES = (
    "Av. Juárez",
    "Hidalgo",
    "Morelos",
    "5 de Mayo",
    "16 de Septiembre",
    "Av. Insurgentes",
    "Av. Reforma",
    "Emiliano Zapata",
    "Francisco I. Madero",
    "Vicente Guerrero",
    "Allende",
    "Aldama",
    "Niños Héroes",
    "Av. Revolución",
    "Pino Suárez",
    "Independencia",
    "Constitución",
    "Guadalupe Victoria",
    "Álvaro Obregón",
    "Lázaro Cárdenas",
    "Venustiano Carranza",
    "Jacarandas",
    "Fresnos",
    "Cedros",
    "Sor Juana Inés de la Cruz",
    "Nezahualcóyotl",
    "Cuauhtémoc",
    "Av. Universidad",
    "Xochicalco",
    "Ignacio Zaragoza",
)
EMAIL_DOMINIOS = _weighted(
    (
        ("gmail.com", 55),
        ("hotmail.com", 20),
        ("outlook.com", 10),
        ("yahoo.com.mx", 8),
        ("icloud.com", 4),
        ("prodigy.net.mx", 3),
    )
)
NOTAS_CLIENTE = (
    "Cliente frecuente",
    "Prefiere que le avisen por WhatsApp",
    "Pide factura en cada servicio",
    "Solo contactar por la tarde",
    "Trae equipos de su negocio",
    "Le gusta que le expliquen la reparación",
)
HOMOCLAVE = "ABCDEFGHIJKLMNPQRSTUVWXYZ123456789"

# ---------------------------------------------------------------------------
# Devices, faults and the catalog
# ---------------------------------------------------------------------------

# (brand, model, tier: 1 budget, 2 mid-range, 3 high-end)
CELULARES = (
    ("Apple", "iPhone 8", 2),
    ("Apple", "iPhone X", 2),
    ("Apple", "iPhone XR", 2),
    ("Apple", "iPhone SE 2020", 2),
    ("Apple", "iPhone 11", 3),
    ("Apple", "iPhone 11 Pro", 3),
    ("Apple", "iPhone 12", 3),
    ("Apple", "iPhone 12 Pro Max", 3),
    ("Apple", "iPhone 13", 3),
    ("Apple", "iPhone 13 Pro", 3),
    ("Apple", "iPhone 14", 3),
    ("Apple", "iPhone 14 Pro", 3),
    ("Apple", "iPhone 15", 3),
    ("Samsung", "Galaxy A03", 1),
    ("Samsung", "Galaxy A04", 1),
    ("Samsung", "Galaxy A10", 1),
    ("Samsung", "Galaxy A12", 1),
    ("Samsung", "Galaxy A14", 1),
    ("Samsung", "Galaxy A20", 1),
    ("Samsung", "Galaxy A23", 1),
    ("Samsung", "Galaxy A32", 2),
    ("Samsung", "Galaxy A51", 2),
    ("Samsung", "Galaxy A52", 2),
    ("Samsung", "Galaxy A54", 2),
    ("Samsung", "Galaxy S20 FE", 3),
    ("Samsung", "Galaxy S21", 3),
    ("Samsung", "Galaxy S22 Ultra", 3),
    ("Samsung", "Galaxy S23", 3),
    ("Motorola", "Moto G8 Power", 1),
    ("Motorola", "Moto G9 Play", 1),
    ("Motorola", "Moto G20", 1),
    ("Motorola", "Moto G31", 1),
    ("Motorola", "Moto G54", 1),
    ("Motorola", "Moto G60", 1),
    ("Motorola", "Moto G84", 2),
    ("Motorola", "Moto E20", 1),
    ("Motorola", "Edge 30", 2),
    ("Xiaomi", "Redmi Note 8", 1),
    ("Xiaomi", "Redmi Note 10", 1),
    ("Xiaomi", "Redmi Note 11", 1),
    ("Xiaomi", "Redmi Note 12", 1),
    ("Xiaomi", "Redmi Note 13 Pro", 2),
    ("Xiaomi", "Redmi 9A", 1),
    ("Xiaomi", "Redmi 10C", 1),
    ("Xiaomi", "Redmi 12C", 1),
    ("Xiaomi", "Poco X5 Pro", 2),
    ("Huawei", "P30 Lite", 2),
    ("Huawei", "Y9 2019", 1),
    ("Huawei", "Y7 2019", 1),
    ("Huawei", "Nova 9", 2),
    ("OPPO", "A57", 1),
    ("OPPO", "Reno 8", 2),
    ("Realme", "C35", 1),
    ("Realme", "10 Pro", 2),
    ("Honor", "X8", 1),
    ("Honor", "Magic5 Lite", 2),
    ("ZTE", "Blade A52", 1),
    ("Vivo", "Y21", 1),
)
LAPTOPS = (
    ("HP", "Pavilion 15"),
    ("HP", "240 G8"),
    ("HP", "Victus 15"),
    ("HP", "ProBook 440 G7"),
    ("Dell", "Inspiron 15 3511"),
    ("Dell", "Latitude 5490"),
    ("Dell", "Vostro 3400"),
    ("Lenovo", "IdeaPad 3 15ITL6"),
    ("Lenovo", "ThinkPad T480"),
    ("Lenovo", "Legion 5"),
    ("Lenovo", "IdeaPad Slim 5"),
    ("Acer", "Aspire 5 A515"),
    ("Acer", "Nitro 5"),
    ("Asus", "VivoBook 15 X515"),
    ("Asus", "TUF Gaming F15"),
    ("Apple", "MacBook Air M1"),
    ("Apple", "MacBook Pro 13 2017"),
    ("Huawei", "MateBook D15"),
    ("MSI", "GF63 Thin"),
    ("Toshiba", "Satellite C55"),
)
PCS = (
    ("HP", "ProDesk 400 G5"),
    ("Dell", "OptiPlex 3070"),
    ("Lenovo", "ThinkCentre M720q"),
    ("Acer", "Aspire TC-895"),
    ("Ensamblada", "Ryzen 5 5600G"),
    ("Ensamblada", "Core i5 10400"),
    ("HP", "All-in-One 24"),
    ("Lenovo", "IdeaCentre AIO 3"),
    ("Apple", "iMac 21.5 2017"),
)
TABLETS = (
    ("Apple", "iPad 9.ª generación"),
    ("Apple", "iPad Air 4"),
    ("Samsung", "Galaxy Tab A8"),
    ("Samsung", "Galaxy Tab S6 Lite"),
    ("Lenovo", "Tab M10"),
    ("Huawei", "MatePad T10"),
    ("Amazon", "Fire HD 10"),
    ("Xiaomi", "Redmi Pad SE"),
)
CONSOLAS = (
    ("Sony", "PlayStation 4 Slim"),
    ("Sony", "PlayStation 4 Pro"),
    ("Sony", "PlayStation 5"),
    ("Microsoft", "Xbox One S"),
    ("Microsoft", "Xbox Series S"),
    ("Microsoft", "Xbox Series X"),
    ("Nintendo", "Switch"),
    ("Nintendo", "Switch OLED"),
    ("Nintendo", "Switch Lite"),
)
OTROS = (
    ("JBL", "Flip 5"),
    ("JBL", "Charge 4"),
    ("Apple", "Watch Series 6"),
    ("Samsung", "Galaxy Watch4"),
    ("Amazon", "Echo Dot 4"),
    ("Canon", "PIXMA G3110"),
    ("Epson", "EcoTank L3250"),
    ("Xiaomi", "Mi Band 7"),
    ("Sony", "WH-1000XM4"),
)
TIER_FACTOR = {1: 1.0, 2: 1.5, 3: 2.6}
TIERS = {(marca, modelo): tier for marca, modelo, tier in CELULARES}


class Falla(NamedTuple):
    """A reported fault, the technician's diagnosis, the usual estimate and what intake shows."""

    texto: str
    diagnostico: str
    minimo: int  # pesos
    maximo: int
    condicion: Mapping[str, str] = MappingProxyType({})  # read-only: one default shared by every Falla
    garantia: int = 90


FALLAS: dict[str, tuple[Falla, ...]] = {
    "celular": (
        Falla(
            "No enciende",
            "Circuito de carga dañado en la placa; se reemplaza el IC de carga.",
            600,
            1500,
            {"Carga": "No se pudo probar"},
        ),
        Falla(
            "Pantalla estrellada",
            "Display y touch dañados; se cambia la pantalla completa.",
            600,
            1100,
            {"Pantalla": "Estrellada"},
        ),
        Falla(
            "No carga",
            "Centro de carga sucio y con pines dañados; se reemplaza el flex.",
            350,
            700,
            {"Carga": "No carga"},
        ),
        Falla(
            "Se mojó",
            "Sulfatación en la placa por humedad; limpieza ultrasónica y cambio de componentes.",
            500,
            1200,
            {"Humedad": "Indicador de humedad activado"},
        ),
        Falla("La batería dura muy poco", "Batería degradada (salud 71 %); se reemplaza.", 400, 900),
        Falla("No se escucha en las llamadas", "Auricular dañado; se reemplaza.", 300, 600),
        Falla("La cámara trasera sale borrosa", "Cristal de la cámara estrellado; se cambia.", 250, 800),
        Falla(
            "Botón de encendido hundido",
            "Flex de encendido roto; se reemplaza.",
            300,
            650,
            {"Botones": "Encendido hundido"},
        ),
        Falla(
            "El touch no responde en una parte",
            "Digitalizador dañado; se cambia la pantalla.",
            600,
            1100,
            {"Pantalla": "Touch falla en la parte inferior"},
        ),
        Falla(
            "Olvidó el patrón de desbloqueo",
            "Se restablece de fábrica; se respaldan las fotos si es posible.",
            250,
            400,
            garantia=30,
        ),
        Falla(
            "No da señal",
            "Antena desconectada tras un golpe; se cambia el flex de antena.",
            350,
            800,
            {"Carcasa": "Golpe en una esquina"},
        ),
    ),
    "laptop": (
        Falla(
            "No enciende",
            "Falla en el circuito de alimentación de la tarjeta madre; reparación a nivel componente.",
            1200,
            3500,
            {"Carga": "No se pudo probar"},
        ),
        Falla(
            "Pantalla rota", "Panel LCD estrellado; se reemplaza la pantalla.", 1400, 3800, {"Pantalla": "Estrellada"}
        ),
        Falla(
            "El teclado no funciona",
            "Teclado dañado por derrame; se reemplaza.",
            700,
            1600,
            {"Teclado": "Teclas no responden"},
        ),
        Falla(
            "Está muy lenta", "Disco duro con sectores dañados; se cambia por SSD y se reinstala el sistema.", 900, 1800
        ),
        Falla("Se calienta y se apaga sola", "Ventilador obstruido y pasta térmica seca; mantenimiento.", 450, 900),
        Falla(
            "No carga la batería", "Centro de carga (DC jack) flojo; se reemplaza.", 550, 1200, {"Carga": "No carga"}
        ),
        Falla(
            "Bisagra rota",
            "Bisagras y soportes de la carcasa rotos; se cambian.",
            700,
            1500,
            {"Bisagras": "Rota la izquierda"},
        ),
        Falla(
            "Le cayó café encima",
            "Derrame en teclado y tarjeta madre; limpieza y cambio de teclado.",
            1200,
            3000,
            {"Humedad": "Residuos de líquido", "Teclado": "Teclas pegajosas"},
        ),
        Falla(
            "Tiene virus, quiere formatear",
            "Malware; respaldo de información y reinstalación de Windows.",
            450,
            700,
            garantia=30,
        ),
    ),
    "pc": (
        Falla("No da video", "Memoria RAM con contactos sucios; limpieza y pruebas.", 350, 900),
        Falla("No enciende", "Fuente de poder quemada; se reemplaza.", 700, 1500, {"Encendido": "No enciende"}),
        Falla("Está muy lenta", "Disco mecánico al 100 %; se instala SSD y se migra el sistema.", 900, 1800),
        Falla("Pitidos al encender", "Módulo de RAM dañado; se reemplaza.", 600, 1200),
        Falla(
            "Formateo e instalación de Windows",
            "Respaldo, formateo e instalación de Windows y paquetería.",
            400,
            650,
            garantia=30,
        ),
        Falla("Se reinicia sola", "Sobrecalentamiento del procesador; mantenimiento y pasta térmica.", 400, 800),
    ),
    "tablet": (
        Falla(
            "Pantalla estrellada",
            "Touch estrellado; se reemplaza el digitalizador.",
            900,
            2800,
            {"Pantalla": "Estrellada"},
        ),
        Falla("No carga", "Puerto de carga dañado; se reemplaza.", 450, 900, {"Carga": "No carga"}),
        Falla(
            "No enciende", "Batería descargada por completo; se reemplaza.", 700, 1500, {"Carga": "No se pudo probar"}
        ),
        Falla(
            "La batería está inflada",
            "Batería inflada que levanta la pantalla; se reemplaza.",
            800,
            1600,
            {"Carcasa": "Pantalla levantada"},
        ),
        Falla(
            "Se queda en el logo",
            "Sistema dañado; se reinstala el firmware (se pierde la información).",
            350,
            600,
            garantia=30,
        ),
    ),
    "consola": (
        Falla("No lee discos", "Lector óptico con láser desgastado; se reemplaza el lector.", 900, 1900),
        Falla("Se apaga sola", "Sobrecalentamiento; limpieza interna y cambio de pasta térmica.", 500, 900),
        Falla(
            "No da imagen",
            "Puerto HDMI con pines doblados; se reemplaza el puerto.",
            800,
            1500,
            {"Puertos": "HDMI dañado"},
        ),
        Falla("El control tiene drift", "Joystick analógico desgastado; se cambia el módulo.", 300, 550),
        Falla("El ventilador hace mucho ruido", "Ventilador con polvo acumulado; limpieza y lubricación.", 400, 750),
        Falla("No enciende", "Fuente de poder interna dañada; se reemplaza.", 1200, 2200, {"Encendido": "No enciende"}),
    ),
    "otro": (
        Falla("No enciende", "Batería dañada; se reemplaza.", 400, 900),
        Falla("No carga", "Puerto de carga con corrosión; se limpia y se reemplaza.", 350, 700, {"Carga": "No carga"}),
        Falla("No se conecta por Bluetooth", "Módulo Bluetooth sin respuesta; se actualiza el firmware.", 300, 600),
        Falla(
            "Se mojó",
            "Corrosión en la placa; limpieza ultrasónica.",
            400,
            900,
            {"Humedad": "Indicador de humedad activado"},
        ),
    ),
}
# Intake checklist: each point's possible states, the first one being "no damage".
PUNTOS = {
    "Pantalla": ("Sin daños", "Rayones leves", "Mancha en una esquina"),
    "Carcasa": ("Sin daños", "Rayones de uso", "Golpe en una esquina", "Tapa trasera estrellada"),
    "Botones": ("Funcionan", "Volumen duro", "Encendido duro"),
    "Carga": ("Carga normal", "Carga solo en cierta posición"),
    "Humedad": ("Sin humedad",),
    "Teclado": ("Completo", "Falta una tecla", "Teclas desgastadas"),
    "Bisagras": ("Firmes", "Flojas"),
    "Gabinete": ("Sin daños", "Rayones de uso", "Falta la tapa lateral"),
    "Puertos": ("Sin daños", "USB flojo"),
    "Encendido": ("Enciende",),
}
EQUIPOS = {
    # type: (share of orders, devices, checklist, accessories left, colours)
    "celular": (
        55,
        tuple((m, n) for m, n, _ in CELULARES),
        ("Pantalla", "Carcasa", "Botones", "Carga", "Humedad"),
        ("Ninguno", "Funda", "Cargador", "Funda y cargador", "Sin chip ni memoria", "Chip y memoria microSD"),
        ("Negro", "Blanco", "Azul", "Gris", "Verde", "Morado", "Rojo", "Dorado"),
    ),
    "laptop": (
        15,
        LAPTOPS,
        ("Pantalla", "Carcasa", "Teclado", "Bisagras", "Carga", "Humedad"),
        ("Cargador original", "Ninguno", "Cargador y funda", "Cargador y mouse"),
        ("Gris", "Plata", "Negro", "Azul marino"),
    ),
    "pc": (
        7,
        PCS,
        ("Gabinete", "Puertos", "Encendido"),
        ("Cable de corriente", "Ninguno", "Teclado y mouse"),
        ("Negro", "Blanco"),
    ),
    "tablet": (
        8,
        TABLETS,
        ("Pantalla", "Carcasa", "Botones", "Carga", "Humedad"),
        ("Ninguno", "Funda con teclado", "Cargador"),
        ("Gris espacial", "Plata", "Negro", "Azul"),
    ),
    "consola": (
        10,
        CONSOLAS,
        ("Carcasa", "Puertos", "Encendido", "Humedad"),
        ("Un control", "Control y cable HDMI", "Ninguno", "Dos controles y cargador"),
        ("Negro", "Blanco"),
    ),
    "otro": (5, OTROS, ("Carcasa", "Carga", "Humedad"), ("Ninguno", "Cable de carga"), ("Negro", "Azul", "Rojo")),
}
EQUIPO_MIX = _weighted(tuple((equipo, spec[0]) for equipo, spec in EQUIPOS.items()))
NOTAS_ORDEN = (
    "Avisar por WhatsApp cuando esté listo",
    "Lo necesita para trabajar, de ser posible antes",
    "Respaldar fotos antes de cualquier reparación",
    "Ya se había reparado aquí antes",
    "Lo recoge su hijo o hija",
    "Cliente autoriza reparar hasta $800 sin llamar",
)
PRIORIDADES = _weighted((("normal", 80), ("alta", 12), ("urgente", 4), ("baja", 4)))

# (category: sales popularity, initial stock range, stock_minimo range)
CATEGORIAS = {
    "Pantallas": (1.0, (0, 6), (1, 2)),
    "Baterías": (1.0, (0, 8), (1, 3)),
    "Cargadores": (4.0, (5, 30), (3, 6)),
    "Cables": (5.0, (5, 40), (4, 8)),
    "Fundas": (4.0, (3, 25), (2, 5)),
    "Micas": (6.0, (10, 50), (5, 10)),
    "Audífonos": (3.0, (2, 20), (2, 4)),
    "Memorias": (2.0, (2, 20), (2, 4)),
    "Refacciones celular": (0.6, (0, 6), (1, 2)),
    "Refacciones laptop": (0.4, (0, 4), (0, 1)),
    "Refacciones consola": (0.4, (0, 4), (0, 1)),
    "Controles": (1.5, (1, 10), (1, 3)),
    "Accesorios": (2.0, (3, 25), (2, 5)),
}
AUDIFONOS = (
    ("JBL Tune 510BT", 900, 1300),
    ("JBL Wave Buds", 800, 1100),
    ("Xiaomi Redmi Buds 4 Lite", 350, 550),
    ("Sony WH-CH520", 900, 1200),
    ("Sony WF-C500", 1200, 1600),
    ("Apple AirPods 2.ª generación", 2300, 2900),
    ("Samsung Galaxy Buds2", 1800, 2400),
    ("Steren alámbricos 3.5 mm", 120, 200),
    ("Ginga manos libres", 90, 150),
    ("Huawei FreeBuds SE", 600, 900),
    ("Skullcandy Jib", 300, 450),
    ("Audífonos gamer con micrófono", 350, 700),
)
MEMORIAS = (
    ("microSD", ("32 GB", "64 GB", "128 GB", "256 GB"), 120, 900),
    ("USB 3.0", ("32 GB", "64 GB", "128 GB"), 110, 450),
    ('SSD SATA 2.5"', ("240 GB", "480 GB", "960 GB"), 450, 1500),
    ("SSD NVMe M.2", ("256 GB", "512 GB", "1 TB"), 600, 1800),
    ("RAM DDR4 SODIMM", ("8 GB", "16 GB"), 450, 1100),
)
CONTROLES = (
    ("Control DualShock 4", ("negro", "rojo", "azul", "camuflaje"), 900, 1300),
    ("Control DualSense", ("blanco", "negro", "rojo cósmico"), 1300, 1700),
    ("Control Xbox Series", ("negro", "blanco", "azul"), 1200, 1600),
    ("Joy-Con (par)", ("neón rojo/azul", "gris"), 1500, 1900),
    ("Control Pro Nintendo Switch", ("negro",), 1400, 1700),
    ("Control genérico PS4", ("negro", "rojo"), 350, 500),
    ("Control genérico Switch", ("negro",), 400, 550),
)
REFACCIONES_CONSOLA = (
    ("Lector Blu-ray PS4 Slim", 700, 1100),
    ("Lector Blu-ray PS5", 1100, 1500),
    ("Puerto HDMI PS4", 150, 250),
    ("Puerto HDMI PS5", 200, 350),
    ("Puerto HDMI Xbox One S", 150, 250),
    ("Ventilador PS4 Pro", 300, 450),
    ("Joystick analógico de repuesto", 60, 120),
    ("Fuente de poder PS4 Slim", 600, 900),
    ("Pasta térmica Arctic MX-4 4 g", 150, 220),
)
ACCESORIOS = (
    ("Power bank Xiaomi 10000 mAh", 400, 600),
    ("Soporte de celular para auto", 120, 250),
    ("Adaptador OTG USB-C", 60, 120),
    ("Hub USB-C 6 en 1", 450, 750),
    ("Mouse inalámbrico Logitech M170", 200, 300),
    ("Teclado USB Logitech K120", 200, 300),
    ("Kit de limpieza para pantallas", 60, 120),
    ("Adaptador HDMI a VGA", 150, 250),
    ("Base enfriadora para laptop", 300, 500),
    ("Lápiz táctil universal", 80, 150),
)

# ---------------------------------------------------------------------------
# Order life: paths through the state machine and how long each step takes
# ---------------------------------------------------------------------------

# Where orders are now: a shop's open work is a few days of intake (about 7 %, unclaimed devices in
# `listo` the largest part); the rest was delivered or cancelled.
ESTADO_FINAL = _weighted(
    (
        ("entregado", 85),
        ("cancelado", 8),
        ("listo", 3),
        ("recibido", 0.6),
        ("diagnostico", 0.7),
        ("esperando_aprobacion", 0.8),
        ("en_reparacion", 1.0),
        ("esperando_refaccion", 0.9),
    )
)
CANCELADA_EN = _weighted(
    (
        ("recibido", 15),
        ("diagnostico", 10),
        ("esperando_aprobacion", 35),
        ("esperando_refaccion", 25),
        ("en_reparacion", 5),
        ("listo", 10),
    )
)
LINEAS_POR_VENTA = _weighted(((1, 60), (2, 25), (3, 10), (4, 5)))
REJECTED_SHARE = 0.15  # estimates the customer turns down: the device goes back unrepaired
GAP_HOURS = {
    ("recibido", "diagnostico"): (0.5, 30),
    ("diagnostico", "esperando_aprobacion"): (1, 48),
    ("esperando_aprobacion", "en_reparacion"): (1, 72),
    ("esperando_aprobacion", "listo"): (2, 72),
    ("en_reparacion", "esperando_refaccion"): (1, 24),
    ("esperando_refaccion", "en_reparacion"): (48, 360),
    ("en_reparacion", "listo"): (2, 96),
    ("listo", "entregado"): (1, 240),
}
CANCEL_GAP_HOURS = (2, 240)
# How long an open order has sat in its current state (at most, hours).
DWELL_HOURS = {
    "recibido": 24,
    "diagnostico": 72,
    "esperando_aprobacion": 120,
    "en_reparacion": 120,
    "esperando_refaccion": 300,
    "listo": 720,
}
NOTAS_CANCELACION = (
    "Cliente canceló la reparación",
    "No se consiguió la refacción",
    "Cliente ya no regresó por el equipo",
    "Cliente decidió comprar otro equipo",
)
ORDER_CHUNK = 5_000  # orders per batch handed to the writer thread
# The change log lists records in causal order: a product before the sales of it.
CHANGE_ORDER = ("cliente_creado", "producto_creado", "orden_creada", "venta_creada", "stock_actualizado")

INSERT_CLIENTE = (
    "INSERT INTO clientes (id, nombre, telefono, email, direccion, rfc, notas, busqueda, version, creado_en,"
    " actualizado_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
INSERT_PRODUCTO = (
    "INSERT INTO productos (id, codigo, nombre, categoria, precio_compra, precio_venta, stock, stock_minimo,"
    " activo, busqueda, version, creado_en, actualizado_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)"
)
INSERT_MOVIMIENTO = (
    "INSERT INTO movimientos_stock (producto_id, delta, motivo, referencia, nota, usuario, stock_resultante, fecha)"
    " VALUES (?, ?, ?, ?, ?, NULL, ?, ?)"
)
INSERT_ORDEN = (
    "INSERT INTO ordenes (id, folio, cliente_id, equipo, marca, modelo, numero_serie, color, accesorios,"
    " contrasena, falla_reportada, condicion, diagnostico, presupuesto, anticipo, costo_final, adeudo,"
    " tecnico_id, prioridad, fecha_promesa, fecha_entrega, garantia_dias, notas, estado, busqueda, version,"
    " creado_en, actualizado_en) VALUES (" + ", ".join("?" * 28) + ")"
)
INSERT_HISTORIAL = (
    "INSERT INTO orden_historial (orden_id, de_estado, a_estado, nota, usuario, fecha) VALUES (?, ?, ?, ?, NULL, ?)"
)
INSERT_VENTA = (
    "INSERT INTO ventas (id, folio, cliente_id, orden_id, subtotal, iva, descuento, total, pagado, cambio, estado,"
    " notas, fecha, version, actualizado_en) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'completada', ?, ?, 1, ?)"
)
INSERT_ITEM = (
    "INSERT INTO venta_items (venta_id, producto_id, descripcion, cantidad, precio_unitario, descuento, importe)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
INSERT_PAGO = "INSERT INTO venta_pagos (venta_id, metodo, monto, referencia) VALUES (?, ?, ?, ?)"
INSERT_CAMBIO = (
    "INSERT INTO cambios (evento, entidad, entidad_id, version, op, datos, usuario, fecha)"
    " VALUES (?, ?, ?, ?, ?, ?, NULL, ?)"
)


def fill(config: Config, *, clientes: int, ordenes: int, productos: int, ventas: int, seed: int) -> dict[str, int]:
    """Add demo customers, products, service orders and sales to the database; return what was added."""
    requested = {"clientes": clientes, "productos": productos, "ordenes": ordenes, "ventas": ventas}
    for name, count in requested.items():
        if count < 0:
            raise ConfigError(f"--{name} debe ser 0 o más, no {count}.")
    database = Database(config.db_path)
    try:
        with database.write() as tx:
            return _DemoShop(tx, config, seed).fill(**requested)
    finally:
        database.close()


def _plain(text: str) -> str:
    """Text without accents (for emails and RFCs)."""
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def _luhn_digit(digits: str) -> str:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def _ean13_digit(digits: str) -> str:
    total = sum(int(char) * (3 if index % 2 else 1) for index, char in enumerate(digits))
    return str((10 - total % 10) % 10)


def _centavos_price(pesos: float) -> int:
    """A shelf price: whole pesos ending in 9 (349.00) once above 100."""
    whole = round(pesos)
    if whole >= 100:
        whole = whole // 10 * 10 + 9
    return whole * 100


def _round50(pesos: float) -> int:
    """Centavos of an estimate rounded to 50 pesos, as a technician quotes."""
    return max(1, round(pesos / 50)) * 50 * 100


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _pick(rng: random.Random, table: Weighted) -> Any:
    """One weighted value; random.choices does the same with far more overhead per single pick."""
    return table.values[bisect(table.cum_weights, rng.random() * table.cum_weights[-1])]


def _nota(rng: random.Random, before: str, after: str, presupuesto: int | None, adeudo: int) -> str | None:
    """What the order's history says about one step."""
    if after == "diagnostico":
        return "Se inicia la revisión"
    if after == "esperando_aprobacion":
        return f"Presupuesto de ${presupuesto / 100:,.2f} enviado al cliente"
    if after == "en_reparacion":
        return "Llegó la refacción" if before == "esperando_refaccion" else "Cliente aprobó el presupuesto"
    if after == "esperando_refaccion":
        return "Se pidió la refacción al proveedor"
    if after == "listo":
        return (
            "Cliente no aceptó el presupuesto; se devuelve sin reparar"
            if before == "esperando_aprobacion"
            else "Reparación terminada y probada"
        )
    if after == "entregado":
        return "Entregado con saldo pendiente registrado como adeudo" if adeudo else "Entregado al cliente"
    return rng.choice(NOTAS_CANCELACION)


def _serie(rng: random.Random, equipo: str) -> str:
    if equipo == "celular":
        body = f"35{rng.randrange(10**12):012d}"
        return body + _luhn_digit(body)  # an IMEI
    return f"{rng.getrandbits(44):011X}"


def _sell(
    rng: random.Random,
    when: dt.datetime,
    products: list[dict[str, Any]],
    weights: list[float],
    venta_id: str,
    folio: int,
    fecha: str,
    movements: list[tuple],
) -> list[tuple]:
    """Pick 1-4 products for a sale and take them out of stock through the ledger."""
    chosen: dict[str, tuple] = {}
    for line in range(_pick(rng, LINEAS_POR_VENTA)):
        product = rng.choices(products, cum_weights=weights)[0]
        if product["id"] in chosen:
            continue
        cantidad = 1 if rng.random() < 0.85 else rng.randint(2, 3)
        if product["stock"] < cantidad:
            if line and rng.random() < 0.5:
                continue  # out of stock: the customer leaves without it
            _restock(rng, product, when, movements)
        bruto = cantidad * product["precio_venta"]
        descuento = bruto // 1000 * 100 if rng.random() < 0.04 else 0  # 10 % off, whole pesos
        chosen[product["id"]] = (
            product["id"],
            product["nombre"],
            cantidad,
            product["precio_venta"],
            descuento,
            bruto - descuento,
        )
        product["stock"] -= cantidad
        _moved(product, when)
        movements.append((product["id"], -cantidad, "venta", venta_id, f"Venta {folio}", product["stock"], fecha))
    return list(chosen.values())


def _restock(rng: random.Random, product: dict[str, Any], when: dt.datetime, movements: list[tuple]) -> None:
    """A purchase from the supplier shortly before a sale found the shelf short."""
    moment = when - HOUR * rng.uniform(1, 48)
    if product["ultimo"] is not None:
        moment = max(moment, product["ultimo"])
    # Enough for a few sales, and to lift an offline sale's negative stock back above zero.
    cantidad = max(product["stock_minimo"] * 3, 6) + rng.randint(0, 6) - min(product["stock"], 0)
    product["stock"] += cantidad
    _moved(product, moment)
    movements.append(
        (product["id"], cantidad, "compra", None, "Compra a proveedor", product["stock"], clock.iso(moment))
    )


def _moved(product: dict[str, Any], moment: dt.datetime) -> None:
    if product["primero"] is None:
        product["primero"] = moment
    product["ultimo"] = moment


def _pagos(rng: random.Random, total: int) -> list[tuple[str, int, str | None]]:
    """Payments covering `total`: mostly cash (rounded up to a bill, with change), card or transfer."""
    draw = rng.random()
    if draw < 0.58:
        bill = rng.choice((100, 5000, 10000, 20000, 50000))  # exact, or the next $50/$100/$200/$500
        return [("efectivo", -(-total // bill) * bill, None)]
    if draw < 0.86:
        return [("tarjeta", total, f"Aut. {rng.randrange(10**6):06d}")]
    if draw < 0.97 or total < 200:
        return [("transferencia", total, f"SPEI {rng.randrange(10**7):07d}")]
    tarjeta = int(total * rng.uniform(0.3, 0.7)) // 100 * 100 or 100
    return [("tarjeta", tarjeta, f"Aut. {rng.randrange(10**6):06d}"), ("efectivo", total - tarjeta, None)]


class _Writer:
    """Runs the inserts in a second thread while the main one generates the next rows.

    SQLite releases the GIL while it works (mostly index upkeep), so generating and inserting
    overlap on two cores. Jobs run in the order given, which keeps foreign keys satisfied. Once
    started, only this thread touches the connection.
    """

    def __init__(self, tx: Tx):
        self._tx = tx
        self._jobs: queue.Queue[tuple[str, list] | None] = queue.Queue(maxsize=4)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-data-writer", daemon=True)
        self._thread.start()

    def insert(self, sql: str, rows: list) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put((sql, rows))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is None:
                try:
                    self._tx.executemany(*job)
                except BaseException as exc:  # handed to the main thread by insert() or close()
                    self._error = exc

    def close(self) -> None:
        """Wait for every queued insert; raise the first failure."""
        self._jobs.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _DemoShop:
    """One fill run: draws the shop's history, then streams its rows into the caller's transaction."""

    def __init__(self, tx: Tx, config: Config, seed: int):
        self.tx = tx
        self.zone = config.zone
        self.iva_percent = config.iva_percent
        self.prices_include_iva = config.prices_include_iva
        # The change log's position joins the seed: the same seed on an empty database gives the
        # same data, and a second run on the same file draws fresh ids instead of colliding.
        self.rng = random.Random(f"{seed}/{last_seq(tx)}")
        self.now = clock.now()
        self.start = self.now - HISTORY
        # Customers already in the database, by registration date, and the ones this run adds;
        # each pool with cumulative weights (a few regulars bring most of the work).
        self.known: list[dict[str, Any]] = []
        self.known_since: list[dt.datetime] = []
        self.known_weights: list[float] = []
        self.new: list[dict[str, Any]] = []
        self.new_weights: list[float] = []
        self.cambios: dict[str, list[tuple[Any, ...]]] = {evento: [] for evento in CHANGE_ORDER}
        self.checklists: dict[tuple, str] = {}

    # -- small helpers ---------------------------------------------------------------------

    def _between(self, low: dt.datetime, high: dt.datetime) -> dt.datetime:
        return low + (high - low) * self.rng.random()

    def _shop_hours(self, moment: dt.datetime, latest: dt.datetime) -> dt.datetime:
        """The same local day between 10:00 and 20:00, when that is not after `latest`."""
        rng = self.rng
        local = moment.astimezone(self.zone).replace(
            hour=rng.randint(10, 19),
            minute=rng.randrange(60),
            second=rng.randrange(60),
            microsecond=rng.randrange(1_000_000),
        )
        moved = local.astimezone(clock.UTC)
        return moved if moved <= latest else moment

    def _change(self, evento: str, entidad: str, datos: dict[str, Any], op: str = "crear", version: int = 1) -> None:
        # Serialized as events.record_change does.
        self.cambios[evento].append((evento, entidad, datos["id"], version, op, orjson.dumps(datos).decode()))

    # -- the run ---------------------------------------------------------------------------

    def fill(self, *, clientes: int, productos: int, ordenes: int, ventas: int) -> dict[str, int]:
        tx = self.tx
        self.known = tx.all("SELECT id, creado_en FROM clientes WHERE eliminado_en IS NULL ORDER BY creado_en, id")
        if ordenes and not self.known and not clientes:
            raise ConfigError("No hay clientes para las órdenes: usa --clientes mayor que 0.")
        folios = {row["serie"]: row["ultimo"] for row in tx.all("SELECT serie, ultimo FROM folios")}
        existing_products = self._existing_products()
        new_products = self._productos(productos)
        sellable = existing_products + [p for p in new_products if p["activo"]]
        if ventas and not sellable:
            raise ConfigError("No hay productos activos para las ventas: usa --productos mayor que 0.")
        self.known_since = [dt.datetime.fromisoformat(c["creado_en"]) for c in self.known]
        self.known_weights = list(accumulate(self.rng.paretovariate(1.3) for _ in self.known))
        self.new = [self._cliente() for _ in range(clientes)]
        self.new_weights = list(accumulate(self.rng.paretovariate(1.3) for _ in self.new))
        # Every visit is drawn before any row is written: a new customer is registered on their
        # first visit, so their rows (which must precede their orders) are final only then.
        order_drafts = self._order_drafts(ordenes)
        sale_drafts = self._counter_sale_drafts(ventas)

        writer = _Writer(tx)
        try:
            writer.insert(INSERT_CLIENTE, self._cliente_rows(self.new))
            charges: list[dict[str, Any]] = []
            for first in range(0, ordenes, ORDER_CHUNK):
                orders, historial = [], []
                chunk = order_drafts[first : first + ORDER_CHUNK]
                for folio, draft in enumerate(chunk, start=folios["ordenes"] + first + 1):
                    order, steps, charge = self._orden(folio, *draft)
                    orders.append(order)
                    historial += steps
                    if charge:
                        charges.append(charge)
                writer.insert(INSERT_ORDEN, orders)
                writer.insert(INSERT_HISTORIAL, historial)
            sales, items, pagos, movements = self._ventas(sale_drafts + charges, sellable, folios["ventas"])
            product_rows, initial_counts = self._producto_rows(new_products)
            writer.insert(INSERT_PRODUCTO, product_rows)
            # Initial counts first, so each product's ledger reads in id order as the domain writes it.
            writer.insert(INSERT_MOVIMIENTO, initial_counts + movements)
            writer.insert("UPDATE productos SET stock = ? WHERE id = ?", self._stock_updates(existing_products))
            writer.insert(INSERT_VENTA, sales)
            writer.insert(INSERT_ITEM, items)
            writer.insert(INSERT_PAGO, pagos)
            now = clock.iso(self.now)
            changes = [(*change, now) for evento in CHANGE_ORDER for change in self.cambios[evento]]
            writer.insert(INSERT_CAMBIO, changes)
            writer.insert(
                "UPDATE folios SET ultimo = ? WHERE serie = ?",
                [(folios["ordenes"] + ordenes, "ordenes"), (folios["ventas"] + len(sales), "ventas")],
            )
        finally:
            writer.close()
        return {
            "clientes": clientes,
            "productos": productos,
            "ordenes": ordenes,
            "ventas": ventas,
            "cobros de órdenes": len(charges),
        }

    # -- customers -------------------------------------------------------------------------

    def _cliente(self) -> dict[str, Any]:
        rng = self.rng
        ciudad, estado, lada, colonias = _pick(rng, CIUDADES)
        rfc = email = None
        if rng.random() < 0.04:
            giro = rng.choice(GIROS)
            nombre = f"{giro} {rng.choice(FANTASIAS) if rng.random() < 0.5 else rng.choice(APELLIDOS)}"
            rfc = self._rfc_moral(nombre)
            if rng.random() < 0.7:
                slug = "".join(ch for ch in _plain(nombre).lower() if ch.isalnum())
                email = f"contacto@{slug}.com.mx"
        else:
            nombres = rng.choice(NOMBRES_MUJER if rng.random() < 0.5 else NOMBRES_HOMBRE)
            paterno, materno = rng.choice(APELLIDOS), rng.choice(APELLIDOS)
            nombre = f"{nombres} {paterno} {materno}"
            if rng.random() < 0.15:
                rfc = self._rfc_persona(nombres, paterno, materno)
            if rng.random() < 0.6:
                email = self._email(nombres, paterno, materno)
        telefono = None
        if rng.random() < 0.95:
            digits = 10 - len(lada) - 1
            local = f"{rng.randint(1, 9)}{rng.randrange(10**digits):0{digits}d}"
            split = 4 if len(lada) == 2 else 3
            telefono = f"{lada} {local[:split]} {local[split:]}"  # 55 1234 5678, 222 123 4567
        direccion = None
        if rng.random() < 0.55:
            interior = f" int. {rng.randint(1, 12)}" if rng.random() < 0.2 else ""
            direccion = (
                f"{rng.choice(CALLES)} {rng.randint(1, 3500)}{interior}, Col. {rng.choice(colonias)},"
                f" {ciudad}, {estado}"
            )
        notas = rng.choice(NOTAS_CLIENTE) if rng.random() < 0.08 else None
        return {
            "id": _new_id(rng),
            "nombre": nombre,
            "telefono": telefono,
            "email": email,
            "direccion": direccion,
            "rfc": rfc,
            "notas": notas,
            "creado": self._between(self.start, self.now),
        }

    def _email(self, nombres: str, paterno: str, materno: str) -> str:
        rng = self.rng
        first = _plain(nombres.split()[0]).lower()
        last, second = _plain(paterno).lower(), _plain(materno).lower()
        user = rng.choice(
            (
                f"{first}.{last}",
                f"{first}{last}{rng.randint(70, 99)}",
                f"{first[0]}{last}{second[0]}",
                f"{first}_{last}{rng.randint(1, 999)}",
            )
        )
        return f"{user}@{_pick(rng, EMAIL_DOMINIOS)}"

    def _homoclave(self) -> str:
        rng = self.rng
        return rng.choice(HOMOCLAVE) + rng.choice(HOMOCLAVE) + rng.choice("0123456789A")

    def _rfc_persona(self, nombres: str, paterno: str, materno: str) -> str:
        """Four letters from the name (SAT's rule, simplified), birth date, homoclave."""
        names = nombres.split()
        if len(names) > 1 and names[0] in ("José", "María"):
            names = names[1:]  # SAT skips a leading José or María
        first = _plain(paterno).upper()
        vowel = next((ch for ch in first[1:] if ch in "AEIOU"), "X")
        letters = first[0] + vowel + _plain(materno)[0].upper() + _plain(names[0])[0].upper()
        born = dt.date(1950, 1, 1) + dt.timedelta(days=self.rng.randrange(20_000))
        return f"{letters}{born:%y%m%d}{self._homoclave()}"

    def _rfc_moral(self, nombre: str) -> str:
        """Three letters from the company name, founding date, homoclave."""
        words = [w for w in _plain(nombre).upper().split() if w not in ("LA", "EL", "LAS", "LOS", "DE", "DEL", "Y")]
        letters = "".join(w[0] for w in words[:3]).ljust(3, "X")
        founded = dt.date(1985, 1, 1) + dt.timedelta(days=self.rng.randrange(12_000))
        return f"{letters}{founded:%y%m%d}{self._homoclave()}"

    def _pick_customer(self, when: dt.datetime) -> str:
        """A customer who exists at `when`: one registered by then, or a new one registered on this visit."""
        known = bisect(self.known_since, when)
        known_weight = self.known_weights[known - 1] if known else 0.0
        total = known_weight + (self.new_weights[-1] if self.new else 0.0)
        if not total:
            return self.known[0]["id"]  # nobody was registered yet and none are being added: the first one
        draw = self.rng.random() * total
        if draw < known_weight:
            return self.known[bisect(self.known_weights, draw)]["id"]
        customer = self.new[bisect(self.new_weights, draw - known_weight)]
        if when < customer["creado"]:
            customer["creado"] = when
        return customer["id"]

    def _cliente_rows(self, customers: list[dict[str, Any]]) -> list[tuple]:
        rows = []
        for c in customers:
            creado = clock.iso(c["creado"])
            rows.append(
                (
                    c["id"],
                    c["nombre"],
                    c["telefono"],
                    c["email"],
                    c["direccion"],
                    c["rfc"],
                    c["notas"],
                    search_text(c["nombre"], c["telefono"], c["email"]),
                    creado,
                    creado,
                )
            )
            self._change(
                "cliente_creado",
                "clientes",
                {"id": c["id"], "nombre": c["nombre"], "telefono": c["telefono"], "version": 1},
            )
        return rows

    # -- products --------------------------------------------------------------------------

    def _catalog(self) -> list[tuple[str, str, int, int]]:
        """Every (categoria, nombre, minimum and maximum price in pesos) the shop might stock."""
        items = []
        for marca, modelo, tier in CELULARES:
            phone = modelo if marca == "Apple" else f"{marca} {modelo}"
            f = TIER_FACTOR[tier]
            for calidad in ("OLED GX", "OLED Soft", "Incell JK", "Incell ZY", "original", "original reacondicionada"):
                items.append(("Pantallas", f"Pantalla {phone} {calidad}", int(350 * f), int(1200 * f)))
            for tipo in ("", " alta capacidad", " Deji", " original"):
                items.append(("Baterías", f"Batería {phone}{tipo}", int(220 * f), int(450 * f)))
            for estilo in ("uso rudo", "transparente", "de silicón", "tipo cartera", "con anillo"):
                for color in ("negra", "azul", "roja", "rosa", "verde"):
                    items.append(("Fundas", f"Funda {estilo} {color} {phone}", 90, 350))
            for tipo in ("de cristal templado", "de cristal 9D", "de privacidad", "de hidrogel"):
                items.append(("Micas", f"Mica {tipo} {phone}", 60, 250))
            for parte in ("Centro de carga", "Cámara trasera", "Bocina", "Flex de encendido", "Tapa trasera"):
                for origen in ("original", "genérico"):
                    items.append(("Refacciones celular", f"{parte} {phone} ({origen})", int(120 * f), int(450 * f)))
        for marca, modelo in LAPTOPS:
            laptop = f"{marca} {modelo}"
            for parte, low, high in (
                ("Teclado", 450, 1100),
                ("Bisagras", 250, 600),
                ("Ventilador", 250, 550),
                ("Centro de carga (DC jack)", 150, 350),
                ("Carcasa inferior", 500, 1200),
                ("Pantalla", 1300, 3200),
            ):
                items.append(("Refacciones laptop", f"{parte} para {laptop}", low, high))
            items.append(("Baterías", f"Batería para laptop {laptop}", 700, 1600))
            items.append(("Cargadores", f"Cargador {marca} 65 W para {modelo}", 450, 900))
        for marca, modelo in TABLETS:
            items.append(("Pantallas", f"Pantalla {marca} {modelo}", 900, 2800))
            items.append(("Fundas", f"Funda con tapa {marca} {modelo}", 250, 600))
        for marca in ("Samsung", "Apple", "Xiaomi", "Motorola", "Steren", "Ginga", "Genérico"):
            for tipo, low, high in (
                ("USB-C 20 W", 200, 450),
                ("USB-C 25 W carga rápida", 250, 550),
                ("USB-A 10 W", 120, 200),
                ("USB-C 33 W", 300, 600),
                ("doble puerto USB-A/USB-C", 200, 400),
                ("inalámbrico 15 W", 300, 700),
                ("para auto doble USB", 150, 300),
            ):
                items.append(("Cargadores", f"Cargador {tipo} {marca}", low, high))
        for conector in (
            "USB-A a USB-C",
            "USB-C a USB-C",
            "USB-A a Lightning",
            "USB-C a Lightning",
            "USB-A a micro USB",
            "HDMI 4K",
            "auxiliar 3.5 mm",
        ):
            for largo in ("1 m", "2 m", "3 m"):
                for marca in ("Steren", "Belkin", "Ugreen", "Anker", "Ginga", "genérico"):
                    items.append(("Cables", f"Cable {conector} {largo} {marca}", 60, 350))
        for nombre, low, high in AUDIFONOS:
            for color in ("negro", "blanco", "azul"):
                items.append(("Audífonos", f"Audífonos {nombre} {color}", low, high))
        for marca in ("Kingston", "SanDisk", "ADATA", "Samsung"):
            for tipo, capacidades, low, high in MEMORIAS:
                step = (high - low) / max(1, len(capacidades) - 1)
                for index, capacidad in enumerate(capacidades):
                    price = low + step * index
                    items.append(
                        ("Memorias", f"Memoria {tipo} {marca} {capacidad}", int(price * 0.9), int(price * 1.1))
                    )
        for nombre, colores, low, high in CONTROLES:
            for color in colores:
                items.append(("Controles", f"{nombre} {color}", low, high))
        items += [("Refacciones consola", nombre, low, high) for nombre, low, high in REFACCIONES_CONSOLA]
        items += [("Accesorios", nombre, low, high) for nombre, low, high in ACCESORIOS]
        return items

    def _productos(self, count: int) -> list[dict[str, Any]]:
        rng = self.rng
        catalog = self._catalog()
        rng.shuffle(catalog)
        used = {row["codigo"] for row in self.tx.all("SELECT codigo FROM productos WHERE codigo IS NOT NULL")}
        products = []
        for index in range(count):
            # Past the catalog's size names repeat: the same article from another supplier, another barcode.
            categoria, nombre, low, high = catalog[index % len(catalog)]
            popularidad, stock_range, minimo_range = CATEGORIAS[categoria]
            codigo = None
            while codigo is None or codigo in used:
                body = f"750{rng.randrange(10**9):09d}"  # 750: GS1 México
                codigo = body + _ean13_digit(body)
            used.add(codigo)
            venta = _centavos_price(rng.uniform(low, high))
            compra = min(venta - 100, int(venta * rng.uniform(0.4, 0.7)) // 50 * 50)
            stock = rng.randint(*stock_range)
            products.append(
                {
                    "id": _new_id(rng),
                    "codigo": codigo,
                    "nombre": nombre,
                    "categoria": categoria,
                    "precio_compra": compra,
                    "precio_venta": venta,
                    "stock_minimo": rng.randint(*minimo_range),
                    "stock": stock,
                    "inicial": stock,
                    "activo": rng.random() >= 0.02,
                    "creado": self._between(self.start - dt.timedelta(days=120), self.now - dt.timedelta(days=1)),
                    "peso": popularidad * rng.paretovariate(1.5),
                    "nuevo": True,
                    "primero": None,
                    "ultimo": None,
                }
            )
        return products

    def _existing_products(self) -> list[dict[str, Any]]:
        rows = self.tx.all(
            "SELECT id, nombre, categoria, precio_venta, stock, stock_minimo, version FROM productos"
            " WHERE activo = 1 ORDER BY id"
        )
        for row in rows:
            row.update(
                nuevo=False,
                primero=None,
                ultimo=None,
                inicial=row["stock"],
                peso=CATEGORIAS.get(row["categoria"], (1.0,))[0] * self.rng.paretovariate(1.5),
            )
        return rows

    def _producto_rows(self, products: list[dict[str, Any]]) -> tuple[list[tuple], list[tuple]]:
        """Rows of the new products (stock after the sales) and their initial count movements."""
        rows, initial = [], []
        for p in products:
            if p["primero"] is not None and p["primero"] < p["creado"]:
                p["creado"] = p["primero"] - HOUR * self.rng.uniform(1, 72)  # registered before it first moved
            creado = clock.iso(p["creado"])
            rows.append(
                (
                    p["id"],
                    p["codigo"],
                    p["nombre"],
                    p["categoria"],
                    p["precio_compra"],
                    p["precio_venta"],
                    p["stock"],
                    p["stock_minimo"],
                    int(p["activo"]),
                    search_text(p["codigo"], p["nombre"], p["categoria"]),
                    creado,
                    creado,
                )
            )
            if p["inicial"]:
                initial.append(
                    (p["id"], p["inicial"], "conteo", None, "Existencia inicial al dar de alta", p["inicial"], creado)
                )
            self._change(
                "producto_creado",
                "productos",
                {"id": p["id"], "codigo": p["codigo"], "nombre": p["nombre"], "stock": p["stock"], "version": 1},
            )
        return rows, initial

    def _stock_updates(self, existing: list[dict[str, Any]]) -> list[tuple[int, str]]:
        """New cached stock of the products that were already there and sold now."""
        moved = [p for p in existing if p["stock"] != p["inicial"]]
        for p in moved:
            datos = {"id": p["id"], "nombre": p["nombre"], "stock": p["stock"], "delta": p["stock"] - p["inicial"]}
            self._change("stock_actualizado", "productos", datos, op="actualizar", version=p["version"])
        return [(p["stock"], p["id"]) for p in moved]

    # -- service orders --------------------------------------------------------------------

    def _path(self, final: str) -> list[str]:
        """The states an order went through to reach `final`; each step is in ordenes.TRANSITIONS."""
        if final == "cancelado":
            return [*self._path(_pick(self.rng, CANCELADA_EN)), "cancelado"]
        repair = ["recibido", "diagnostico", "esperando_aprobacion", "en_reparacion"]
        if final in repair[:3]:
            return repair[: repair.index(final) + 1]
        if final in ("listo", "entregado") and self.rng.random() < REJECTED_SHARE:
            path = [*repair[:3], "listo"]
        else:
            path = repair
            if final == "esperando_refaccion" or self.rng.random() < 0.25:
                path += ["esperando_refaccion", "en_reparacion"]  # a part had to be ordered
            if final == "esperando_refaccion":
                return path[:-1]
            if final == "en_reparacion":
                return path
            path.append("listo")
        if final == "entregado":
            path.append("entregado")
        return path

    def _order_drafts(self, count: int) -> list[tuple[dt.datetime, list[str], list[dt.timedelta], str, int]]:
        """(intake, path, time of each step, customer, seed of its details) per order, oldest first.

        Where the time of day puts an order in folio order varies from run to run; drawing its
        details from its own seed keeps them the same for the same --seed.
        """
        rng = self.rng
        drafts = []
        for _ in range(count):
            final = _pick(rng, ESTADO_FINAL)
            path = self._path(final)
            gaps = []
            for before, after in pairwise(path):
                low, high = CANCEL_GAP_HOURS if after == "cancelado" else GAP_HOURS[(before, after)]
                gaps.append(HOUR * rng.triangular(low, high, low))
            busy = sum(gaps, dt.timedelta())
            if final in ("entregado", "cancelado"):
                intake = self._between(self.start, self.now - busy)
            else:  # open orders are recent: they have sat in their state for a while, not for months
                intake = self.now - busy - HOUR * rng.uniform(0, DWELL_HOURS[final])
            intake = self._shop_hours(intake, self.now - busy)
            drafts.append((intake, path, gaps, self._pick_customer(intake), rng.getrandbits(64)))
        drafts.sort(key=lambda d: d[0])
        return drafts

    def _orden(
        self, folio: int, intake: dt.datetime, path: list[str], gaps: list[dt.timedelta], cliente_id: str, seed: int
    ) -> tuple[tuple, list[tuple], dict[str, Any] | None]:
        """One order's row, its history rows, and the delivered balance to charge through a sale."""
        rng = random.Random(seed)
        equipo = _pick(rng, EQUIPO_MIX)
        _, devices, puntos, accesorios, colores = EQUIPOS[equipo]
        marca, modelo = rng.choice(devices)
        falla = rng.choice(FALLAS[equipo])
        orden_id = _new_id(rng)
        estado = path[-1]

        presupuesto = costo_final = diagnostico = None
        if "esperando_aprobacion" in path:
            diagnostico = falla.diagnostico
            presupuesto = _round50(rng.uniform(falla.minimo, falla.maximo) * TIER_FACTOR[TIERS.get((marca, modelo), 1)])
        if "listo" in path:
            if "en_reparacion" not in path:
                costo_final = rng.choice((0, 15000, 20000, 25000))  # rejected estimate: diagnosis fee, if any
            elif rng.random() < 0.85:
                costo_final = presupuesto
            else:
                costo_final = max(0, presupuesto + rng.choice((-100, -50, 50, 100, 150, 300)) * 100)
        anticipo = 0
        if "en_reparacion" in path and rng.random() < 0.4:
            anticipo = _round50(presupuesto / 100 * rng.uniform(0.3, 0.6))
            if costo_final is not None:
                anticipo = min(anticipo, costo_final)

        moments = [intake]
        for gap in gaps:
            moments.append(moments[-1] + gap)
        stamps = [clock.iso(m) for m in moments]
        adeudo, fecha_entrega, charge = 0, None, None
        if estado == "entregado":
            fecha_entrega = stamps[-1]
            saldo = costo_final - anticipo
            if saldo > 0 and rng.random() < 0.06:
                adeudo = saldo  # delivered on credit (registrar_adeudo)
            elif saldo > 0:
                charge = {
                    "fecha": moments[-1],
                    "cliente_id": cliente_id,
                    "orden_id": orden_id,
                    "descripcion": f"Reparación orden {folio}: {marca} {modelo}",
                    "importe": saldo,
                    "seed": rng.getrandbits(64),
                }
        steps = [(orden_id, None, "recibido", "Equipo recibido", stamps[0])]
        for before, after, stamp in zip(path, path[1:], stamps[1:], strict=False):
            steps.append((orden_id, before, after, _nota(rng, before, after, presupuesto, adeudo), stamp))

        serie = _serie(rng, equipo)
        contrasena = None
        if equipo in ("celular", "tablet") and rng.random() < 0.6:
            contrasena = (
                f"PIN {rng.randint(1000, 999999)}"
                if rng.random() < 0.6
                else rng.choice(("Patrón en L", "Patrón en Z", "Patrón en U", "Patrón en forma de 7"))
            )
        elif equipo in ("laptop", "pc") and rng.random() < 0.4:
            contrasena = f"Windows: {rng.choice(('casa', 'hola', 'familia', 'trabajo'))}{rng.randint(1, 2025)}"
        promesa = intake + dt.timedelta(days=rng.choice((1, 2, 3, 3, 4, 5, 7)))
        row = (
            orden_id,
            folio,
            cliente_id,
            equipo,
            marca,
            modelo,
            serie,
            rng.choice(colores),
            rng.choice(accesorios),
            contrasena,
            falla.texto,
            self._condicion(rng, puntos, falla),
            diagnostico,
            presupuesto,
            anticipo,
            costo_final,
            adeudo,
            None,
            _pick(rng, PRIORIDADES),
            clock.iso(promesa),
            fecha_entrega,
            falla.garantia,
            rng.choice(NOTAS_ORDEN) if rng.random() < 0.08 else None,
            estado,
            search_text(folio, equipo, marca, modelo, serie),
            1,
            stamps[0],
            stamps[-1],
        )
        self._change(
            "orden_creada",
            "ordenes",
            {"id": orden_id, "folio": folio, "cliente_id": cliente_id, "estado": estado, "version": 1},
        )
        return row, steps, charge

    def _condicion(self, rng: random.Random, puntos: tuple[str, ...], falla: Falla) -> str:
        """The intake checklist as stored JSON: mostly undamaged, plus what the fault implies."""
        states = tuple(
            falla.condicion.get(punto) or (PUNTOS[punto][0] if rng.random() < 0.8 else rng.choice(PUNTOS[punto]))
            for punto in puntos
        )
        # Few distinct checklists exist, so each one's JSON is encoded once.
        encoded = self.checklists.get((puntos, states))
        if encoded is None:
            encoded = _to_json([{"punto": p, "estado": e} for p, e in zip(puntos, states, strict=True)])
            self.checklists[(puntos, states)] = encoded
        return encoded

    # -- sales -----------------------------------------------------------------------------

    def _counter_sale_drafts(self, count: int) -> list[dict[str, Any]]:
        """Date and customer (a quarter of them known) of each counter sale."""
        rng = self.rng
        local_now = self.now.astimezone(self.zone)
        today = local_now.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(clock.UTC)
        month = local_now.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(clock.UTC)
        drafts = []
        for index in range(count):
            draw = rng.random()
            # Some sales today and this month, so the dashboard has something to show.
            low = today if index == 0 or draw < 0.03 else month if draw < 0.1 else self.start
            fecha = self._shop_hours(self._between(low, self.now), self.now)
            cliente_id = self._pick_customer(fecha) if (self.known or self.new) and rng.random() < 0.25 else None
            drafts.append({"fecha": fecha, "cliente_id": cliente_id, "seed": rng.getrandbits(64)})
        return drafts

    def _ventas(
        self, drafts: list[dict[str, Any]], products: list[dict[str, Any]], last_folio: int
    ) -> tuple[list[tuple], list[tuple], list[tuple], list[tuple]]:
        """Counter sales and order charges in date order: sale rows, items, payments and stock movements."""
        weights = list(accumulate(p["peso"] for p in products))
        sales, items, pagos, movements = [], [], [], []
        for folio, sale in enumerate(sorted(drafts, key=lambda s: s["fecha"]), start=last_folio + 1):
            rng = random.Random(sale["seed"])  # its own stream, as each order (see _order_drafts)
            venta_id = _new_id(rng)
            fecha = clock.iso(sale["fecha"])
            orden_id = sale.get("orden_id")
            if orden_id:
                lines = [(None, sale["descripcion"], 1, sale["importe"], 0, sale["importe"])]
            else:
                lines = _sell(rng, sale["fecha"], products, weights, venta_id, folio, fecha, movements)
            subtotal, iva, total = split_iva(sum(line[5] for line in lines), self.iva_percent, self.prices_include_iva)
            payments = _pagos(rng, total)
            pagado = sum(p[1] for p in payments)
            notas = "Cliente pidió factura" if rng.random() < 0.03 else None
            sales.append(
                (
                    venta_id,
                    folio,
                    sale["cliente_id"],
                    orden_id,
                    subtotal,
                    iva,
                    sum(line[4] for line in lines),
                    total,
                    pagado,
                    pagado - total,
                    notas,
                    fecha,
                    fecha,
                )
            )
            items += [(venta_id, *line) for line in lines]
            pagos += [(venta_id, *payment) for payment in payments]
            self._change(
                "venta_creada",
                "ventas",
                {"id": venta_id, "folio": folio, "orden_id": orden_id, "total": to_number(total), "version": 1},
            )
        return sales, items, pagos, movements
