export function Placeholder({ title, what }: { title: string; what: string }) {
  return (
    <section className="page">
      <h1>{title}</h1>
      <p className="muted">{what}</p>
      <p className="empty">Coming in a later version.</p>
    </section>
  );
}
