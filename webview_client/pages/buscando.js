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

function show({ estado, mensaje }) {
  title.textContent = TITLES[estado] || TITLES.buscando;
  message.textContent = mensaje || "";
  form.hidden = estado === "error" || estado === "listo";
  if (estado === "listo") window.location.replace("./");
  else if (estado === "no_encontrado" && document.activeElement !== address) address.focus();
}

window.servitecPuente = (push) => {
  if (push.tipo === "paso") addStep(push.texto);
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
