// The image's HEALTHCHECK: is the app in this container alive? The gateway answers /health/live on
// PORT, a worker on HEALTH_PORT; only one app runs in a container, so whichever port answers is it.
// Liveness, not readiness: a Postgres outage must not get the containers restarted.
const ports = [process.env.PORT || '3000', process.env.HEALTH_PORT].filter(Boolean);

async function alive(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(3000) });
    return response.ok;
  } catch {
    return false;
  }
}

Promise.all(ports.map(alive)).then((answers) => process.exit(answers.includes(true) ? 0 : 1));
