import { describe, expect, it } from 'vitest';
import { blobNeeds, buildStandalone, parseLinkMap } from '../../src/main/engine/standalone-image';
import { makeCase } from '../helpers/engine-cases';

// The shapes GNU ld writes: discarded sections first, then kept input sections on one line or, when
// the name is long, the name alone with address/size/object on the next; fill and debug entries.
const MAP = `Discarded input sections

 .text.bb_unused
                0x00000000       0x40 build/engine/bb_fc_s8.o

Memory Configuration

Linker script and memory map

.text           0x00000000     0x2ad0
 *(.vectors)
 .vectors       0x00000000       0xc0 build/board/startup.o
 .text.bb_fc_b1_c
                0x000003c4       0x48 build/engine/bb_fc_pairs_c.o
 *fill*         0x0000040c        0x4 
 .rodata.model_blob
                0x00000410      0x4e8 build/model/model.o
.bss            0x20000020      0x5c0
 .bss.g_arena   0x20000020      0x618 build/main.o
.debug_info     0x00000000     0x50fc
 .debug_info    0x00000000      0x2c3 build/main.o
`;

describe('standalone image: link map', () => {
  it('keeps the retained input sections, one-line and two-line, and skips discarded ones and fill', () => {
    expect(parseLinkMap(MAP)).toEqual([
      { section: '.vectors', size: 0xc0, object: 'build/board/startup.o' },
      { section: '.text.bb_fc_b1_c', size: 0x48, object: 'build/engine/bb_fc_pairs_c.o' },
      { section: '.rodata.model_blob', size: 0x4e8, object: 'build/model/model.o' },
      { section: '.bss.g_arena', size: 0x618, object: 'build/main.o' },
      { section: '.debug_info', size: 0x2c3, object: 'build/main.o' },
    ]);
  });
  it('refuses a file that is not a GNU ld map', () => {
    expect(() => parseLinkMap('hello')).toThrow(/not a GNU ld map/);
  });
});

describe('standalone image: what a blob needs', () => {
  it('kernel mask from the layers, weight-width mask from their bits', () => {
    // conv (conv1d|conv2d share a kernel: 0x3), GRU 0x10; 4-bit weights = bit 3.
    expect(blobNeeds(makeCase(3, 'conv1d', 4).blob)).toMatchObject({ wbits: 0x08 });
    expect(blobNeeds(makeCase(3, 'conv1d', 4).blob).kernels & 0x3).toBe(0x3);
    expect(blobNeeds(makeCase(3, 'gru', 1).blob).kernels & 0x10).toBe(0x10);
    expect(blobNeeds(makeCase(3, 'gru', 1).blob).wbits).toBe(0x01);
    expect(blobNeeds(makeCase(3, 'dense', 8).blob).kernels & 0x13).toBe(0);
  });
});

describe('standalone image: build folder', () => {
  it('refuses a folder whose path has a space (make splits it) before writing anything', async () => {
    const c = makeCase(3, 'dense', 8);
    await expect(
      buildStandalone('/nonexistent-firmware', '/tmp/bb standalone', c.blob, c.inputs[0]!, 'microbit'),
    ).rejects.toThrow(/has a space in its path, which make cannot handle/);
  });
});
