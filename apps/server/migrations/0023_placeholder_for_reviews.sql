-- Placeholder so that 0025 (access reviews) applies on the reviews branch alone: DELETE AT MERGE (the real 0023 comes from another helper).
SELECT 1;
