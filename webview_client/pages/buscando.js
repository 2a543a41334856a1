// "Buscando servidor…": what the desktop client is trying (pushed from Python as it happens)
// and a field for the address when it finds nothing. The calls go through the same bridge
// as the UI's (POST puente/<call>, with this page's secret).

const secret = document.querySelector('meta[name="servitec-puente"]').content;
const title = document.getElementById("titulo");
const steps = document.getElementById("pasos");
const message = document.getElementById("mensaje");
const form = document.getElementById("conectar");
const address = document.getElementById("direccion");
const button = form.querySelector("button");

const TITLES = {
  buscando: "Buscando servidor…",
  no_encontrado: "No se encontró el servidor",
  error: "No se puede empezar",
  listo: "Servidor encontrado. Abriendo…",
};

// pywebview sets up its object in this page in two scripts after it loads; leaving before the
// second one runs makes it fail in the next page. Leave once it is done (or surely stuck).
const settled = new Promise((resolve) => {
  window.addEventListener("pywebviewready", resolve, { once: true });
  setTimeout(resolve, 3000);
});

async function call(name, ...args) {
  const response = await fetch(`puente/${name}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Servitec-Puente": secret },
    body: JSON.stringify({ args }),
    cache: "no-store",
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error.message);
  return answer.resultado;
}

function addStep(text) {
  const item = document.createElement("li");
  item.textContent = text;
  steps.append(item);
}

// "listo" comes twice (Conectar's answer and the push): a second navigation would abort the
// first, and pywebview would set itself up in a page on its way out.
let leaving = false;
function leave() {
  if (leaving) return;
  leaving = true;
  settled.then(() => window.location.replace("./"));
}

function show({ estado, mensaje }) {
  title.textContent = TITLES[estado] || TITLES.buscando;
  message.textContent = mensaje || "";
  form.hidden = estado === "error" || estado === "listo";
  if (estado === "listo") leave();
  else if (estado === "no_encontrado" && document.activeElement !== address) address.focus();
}

window.servitecPuente = (push) => {
  // A step is pushed once, and is also in the state read on load: numbered, never shown twice.
  if (push.tipo === "paso" && push.numero === steps.children.length) addStep(push.texto);
  else if (push.tipo === "estado") show(push);
};

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  address.removeAttribute("aria-invalid");
  message.textContent = "";
  title.textContent = "Conectando…";
  try {
    const answer = await call("conectar", address.value);
    if (answer.ok) return show({ estado: "listo" });
    show({ estado: "no_encontrado", mensaje: answer.mensaje });
    address.setAttribute("aria-invalid", "true");
    address.focus();
  } catch (error) {
    show({ estado: "no_encontrado", mensaje: error.message });
  } finally {
    button.disabled = false;
  }
});

call("buscando").then((state) => {
  steps.replaceChildren();
  state.pasos.forEach(addStep);
  show(state);
});
