// The augmentation preview (written next).
