// SPDX-License-Identifier: MIT
// SPDX-FileCopyrightText: 2026 The kiln contributors
//! From saphyr-parser's positions (character indexes) to byte offsets.

/// Maps saphyr's character indexes to byte offsets. Lookups come in source
/// order, so a forward-moving cursor keeps this linear.
pub(super) struct Locator<'s> {
    src: &'s str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl<'s> Locator<'s> {
    pub(super) fn new(src: &'s str) -> Self {
        Locator {
            src,
            ascii: src.is_ascii(),
            chars: 0,
            bytes: 0,
        }
    }

    pub(super) fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.src.len());
        }
        if char_index < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        let mut rest = self.src[self.bytes..].chars();
        while self.chars < char_index {
            match rest.next() {
                Some(c) => {
                    self.bytes += c.len_utf8();
                    self.chars += 1;
                }
                None => break,
            }
        }
        self.bytes
    }
}

pub(super) fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::Locator;

    #[test]
    fn char_indexes_to_byte_offsets() {
        let mut l = Locator::new("aé😀b");
        assert_eq!(l.byte(1), 1);
        assert_eq!(l.byte(2), 3);
        assert_eq!(l.byte(3), 7);
        // Going back restarts from the beginning.
        assert_eq!(l.byte(0), 0);
        assert_eq!(l.byte(10), 8);
        assert_eq!(Locator::new("abc").byte(2), 2);
    }
}
