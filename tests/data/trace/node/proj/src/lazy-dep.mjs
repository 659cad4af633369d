export const lazy = 1;
