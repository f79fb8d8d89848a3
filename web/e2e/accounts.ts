import type { Page } from "@playwright/test";

/** Every test account's password (Keycloak's policy: long enough, a digit, mixed case). */
export const PASSWORD = "Correct-horse-battery-9";

/** Fill Keycloak's registration page for ``username`` (at example.com); submit it yourself. */
export async function fillRegistration(page: Page, username: string, firstName: string, lastName: string): Promise<void> {
  await page.locator("#username").waitFor();
  await page.locator("#username").fill(username);
  await page.locator("#email").fill(`${username}@example.com`);
  await page.locator("#firstName").fill(firstName);
  await page.locator("#lastName").fill(lastName);
  await page.locator("#password").fill(PASSWORD);
  await page.locator("#password-confirm").fill(PASSWORD);
}

/** Submit the registration page filled by ``fillRegistration``. */
export async function register(page: Page): Promise<void> {
  await page.locator("#kc-form-buttons [type=submit], form [type=submit]").first().click();
}
