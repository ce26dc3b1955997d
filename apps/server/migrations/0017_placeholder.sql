-- Placeholder for migration 0017, which another change of issue 17 owns. The integrator drops this file
-- when the real 0017 lands; it only keeps the numbering consecutive on this branch.
SELECT 1;
