/** A name-taken refusal's offer to replace the stored variant, and whether its confirmation is open. */
export interface ReplaceOffer {
  name: string;
  parent: string;
  confirming: boolean;
}

interface Props {
  offer: ReplaceOffer;
  /** Test-id prefix: `quant` (post-training form) or `lowbit` (Train to N bits). */
  prefix: 'quant' | 'lowbit';
  onChange: (offer: ReplaceOffer) => void;
}

/** The "Replace…" button shown with the refusal; it opens the confirmation. */
export function ReplaceButton({ offer, prefix, onChange }: Props) {
  if (offer.confirming) return null;
  return (
    <>
      {' '}
      <button
        type="button"
        data-testid={`${prefix}-replace`}
        onClick={() => onChange({ ...offer, confirming: true })}
      >
        Replace…
      </button>
    </>
  );
}

/**
 * The confirmation: replacing deletes the old variant with its device runs once the new one is stored,
 * so it says so and names the variant and its float model.
 */
export function ReplaceConfirm({
  offer,
  prefix,
  onChange,
  what,
  busy,
  onConfirm,
}: Props & { what: string; busy: boolean; onConfirm: () => void }) {
  if (!offer.confirming) return null;
  return (
    <div
      className="card"
      role="alertdialog"
      aria-label="Confirm replace"
      data-testid={`${prefix}-replace-confirm`}
    >
      Replace <strong>{offer.name}</strong> (a variant of {offer.parent}) with this {what}? The variant is
      deleted with its device runs (flash, profile) when the new one is stored; this cannot be undone. The
      float model stays.{' '}
      <button
        type="button"
        className="primary"
        data-testid={`${prefix}-confirm-replace`}
        disabled={busy}
        onClick={onConfirm}
      >
        Replace
      </button>{' '}
      <button type="button" onClick={() => onChange({ ...offer, confirming: false })}>
        Cancel
      </button>
    </div>
  );
}
