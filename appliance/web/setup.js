"use strict";

// Sends the first owner's account to POST /setup as JSON: a form on another site
// cannot send JSON here, so it cannot create the owner behind the person's back.
(function () {
    const form = document.getElementById("alta");
    const button = form.querySelector("button[type=submit]");
    const formError = document.getElementById("error");

    function clearErrors() {
        formError.hidden = true;
        formError.textContent = "";
        for (const slot of form.querySelectorAll(".campo-error")) {
            slot.textContent = "";
        }
        for (const input of form.querySelectorAll("input")) {
            input.removeAttribute("aria-invalid");
        }
    }

    function showFieldError(name, message) {
        const slot = form.querySelector(`.campo-error[data-campo="${name}"]`);
        const input = document.getElementById(name);
        if (!slot || !input) {
            return false;
        }
        slot.textContent = message;
        input.setAttribute("aria-invalid", "true");
        return true;
    }

    function showError(message, fields) {
        formError.textContent = message;
        formError.hidden = false;
        for (const [name, fieldMessage] of Object.entries(fields || {})) {
            showFieldError(name, fieldMessage);
        }
    }

    form.addEventListener("submit", async function (event) {
        event.preventDefault();
        clearErrors();
        const password = form.elements.password.value;
        if (password !== form.elements.repetir.value) {
            showFieldError("repetir", "Las contraseñas no coinciden.");
            return;
        }
        button.disabled = true;
        try {
            const response = await fetch("setup", {
                method: "POST",
                headers: {"Content-Type": "application/json", "Accept": "application/json"},
                body: JSON.stringify({
                    username: form.elements.username.value,
                    nombre: form.elements.nombre.value,
                    password: password,
                }),
            });
            const body = await response.json();
            if (response.status === 201) {
                document.getElementById("listo-usuario").textContent = body.username;
                document.getElementById("formulario").hidden = true;
                document.getElementById("listo").hidden = false;
                return;
            }
            showError(body.error.message, body.error.fields);
        } catch (error) {
            showError("No se pudo hablar con el servidor. Revisa que siga encendido y vuelve a intentar.");
        } finally {
            button.disabled = false;
        }
    });
})();
