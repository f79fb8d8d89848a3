/** Where the app finds Keycloak and the APIs; served at run time by serve.mjs as /config.json. */
export interface AppConfig {
  keycloakUrl: string;
  realm: string;
  clientId: string;
  api: Record<ServiceName, string>;
}

export type ServiceName = "auth" | "builder" | "voice" | "scoring" | "history";

export const SERVICE_LABELS: Record<ServiceName, string> = {
  auth: "sign-in",
  builder: "interview builder",
  voice: "voice interview",
  scoring: "scoring",
  history: "history",
};

export async function loadConfig(): Promise<AppConfig> {
  const response = await fetch("/config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json answered ${response.status}`);
  return (await response.json()) as AppConfig;
}
