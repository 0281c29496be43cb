/** What the service wrote into the page's `dg-settings` meta tag (see src/web/pages.ts). */
export interface PageSettings {
  sandbox: boolean;
  minAmount: number;
  maxAmount: number;
}

const DEFAULTS: PageSettings = { sandbox: false, minAmount: 1000, maxAmount: 10_000_000 };

export function readSettings(): PageSettings {
  const content = document.querySelector('meta[name="dg-settings"]')?.getAttribute('content') ?? '{}';
  try {
    const parsed: unknown = JSON.parse(content);
    if (typeof parsed !== 'object' || parsed === null) return DEFAULTS;
    const given = parsed as Partial<Record<keyof PageSettings, unknown>>;
    return {
      sandbox: given.sandbox === true,
      minAmount: typeof given.minAmount === 'number' ? given.minAmount : DEFAULTS.minAmount,
      maxAmount: typeof given.maxAmount === 'number' ? given.maxAmount : DEFAULTS.maxAmount,
    };
  } catch {
    return DEFAULTS;
  }
}
