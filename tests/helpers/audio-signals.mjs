// Audio test signals, plain data in and out, for the Node and the Chromium tests alike: WAV bytes
// written with a DataView, a tone's amplitude, the largest difference of two sample arrays.

/** A WAV file's bytes of channels (arrays in [-1, 1]) as 16-bit PCM or 32-bit float. */
export function wav(channels, rate, float) {
  const frames = channels[0].length, width = float ? 4 : 2, blockAlign = width * channels.length;
  const view = new DataView(new ArrayBuffer(44 + frames * blockAlign));
  const text = (offset, value) => [...value].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + frames * blockAlign, true);
  text(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, float ? 3 : 1, true);
  view.setUint16(22, channels.length, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, width * 8, true);
  text(36, 'data');
  view.setUint32(40, frames * blockAlign, true);
  for (let i = 0; i < frames; i++) {
    channels.forEach((channel, c) => {
      const at = 44 + i * blockAlign + c * width;
      if (float) view.setFloat32(at, channel[i], true);
      else view.setInt16(at, Math.max(-32768, Math.min(32767, Math.round(channel[i] * 32768))), true);
    });
  }
  return view.buffer;
}

/** The amplitude of the `hertz` component of `x` (least-squares fit of a sine and a cosine over the middle). */
export function amplitudeAt(x, rate, hertz) {
  const begin = Math.floor(x.length / 4), end = Math.floor(3 * x.length / 4);
  let s = 0, c = 0;
  for (let i = begin; i < end; i++) {
    s += x[i] * Math.sin(2 * Math.PI * hertz * i / rate);
    c += x[i] * Math.cos(2 * Math.PI * hertz * i / rate);
  }
  return 2 * Math.hypot(s, c) / (end - begin);
}

export const maxDifference = (a, b) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i])), 0);
