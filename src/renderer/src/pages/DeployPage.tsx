import { Placeholder } from '../components/Placeholder';

export function DeployPage() {
  return (
    <Placeholder
      title="Deploy &amp; Profile"
      what="Flash a quantized model to a board and profile it on the device."
    />
  );
}
