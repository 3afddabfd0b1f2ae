-- Sample data for the SMS demo database (run by scripts/env/stack-up.sh inside
-- one transaction, only when the students table is empty). Deterministic:
-- every pseudo-random choice is derived from the row number.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE TEMP TABLE first_names(i int, v text) ON COMMIT DROP;
INSERT INTO first_names SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
 'Olivia','Liam','Emma','Noah','Amelia','Oliver','Ava','Elijah','Sophia','Lucas','Isabella','Mateo',
 'Mia','Levi','Charlotte','Ethan','Harper','James','Evelyn','Aiden','Luna','Sebastian','Camila','Henry',
 'Gianna','Leo','Aria','Jack','Sofia','Daniel','Layla','Samuel','Nora','Asher','Zoe','Owen','Priya',
 'Arjun','Mei','Hiroshi','Fatima','Omar','Ingrid','Lars','Chiara','Luca','Aoife','Sean','Zanele','Kofi',
 'Ana','Joao','Elif','Emre','Katarzyna','Piotr','Nadia','Dmitri','Yuki','Haruto']) AS t(v);

CREATE TEMP TABLE last_names(i int, v text) ON COMMIT DROP;
INSERT INTO last_names SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
 'Smith','Johnson','Williams','Brown','Jones','Garcia','Miller','Davis','Rodriguez','Martinez','Hernandez',
 'Lopez','Gonzalez','Wilson','Anderson','Thomas','Taylor','Moore','Jackson','Martin','Lee','Perez',
 'Thompson','White','Harris','Sanchez','Clark','Ramirez','Lewis','Robinson','Walker','Young','Allen',
 'King','Wright','Scott','Torres','Nguyen','Hill','Flores','Green','Adams','Nelson','Baker','Hall',
 'Rivera','Campbell','Mitchell','Carter','Roberts','Okafor','Mensah','Kowalski','Novak','Yilmaz',
 'Sato','Tanaka','Patel','Sharma','Kim','Park','Chen','Wang','Murphy','O''Brien','Muller','Schmidt',
 'Rossi','Bianchi','Dubois','Lefevre','Silva','Santos','Ivanova','Petrov','Larsen','Andersson']) AS t(v);

CREATE TEMP TABLE subjects(i int, code text, title text) ON COMMIT DROP;
INSERT INTO subjects SELECT row_number() OVER () - 1, c, t FROM (VALUES
 ('MATH','Mathematics'),('PHYS','Physics'),('CHEM','Chemistry'),('BIOL','Biology'),('HIST','History'),
 ('GEOG','Geography'),('ENGL','English Literature'),('SPAN','Spanish'),('FREN','French'),('CS','Computer Science'),
 ('ECON','Economics'),('ART','Visual Arts'),('MUS','Music'),('PE','Physical Education'),('PHIL','Philosophy')) AS s(c, t);

CREATE TEMP TABLE levels(i int, v text) ON COMMIT DROP;
INSERT INTO levels SELECT row_number() OVER () - 1, v FROM unnest(ARRAY[
 'Foundations of','Introduction to','Intermediate','Advanced','Topics in','Applied','Seminar in','Honours']) AS t(v);

-- users: 8 admins/staff + 112 teachers
INSERT INTO users (email, full_name, role, password_hash, is_active, created_at)
SELECT lower(f.v || '.' || l.v || g) || '@sms-school.example',
       f.v || ' ' || l.v,
       CASE WHEN g <= 3 THEN 'admin' WHEN g <= 8 THEN 'staff' ELSE 'teacher' END,
       '$2b$12$' || substr(encode(sha256(('user-' || g)::bytea), 'base64'), 1, 53),
       g % 17 <> 0,
       timestamptz '2023-08-01 08:00+00' + (g * interval '2 days 3 hours 17 minutes')
FROM generate_series(1, 120) AS g
JOIN first_names f ON f.i = (g * 7) % 60
JOIN last_names l ON l.i = (g * 13) % 77;

-- courses: 15 subjects x 8 levels = 120 courses
INSERT INTO courses (code, title, description, credits, teacher_id, created_at)
SELECT s.code || (100 + lv.i * 100 + s.i),
       lv.v || ' ' || s.title,
       'A ' || CASE lv.i % 3 WHEN 0 THEN 'lecture-based' WHEN 1 THEN 'project-based' ELSE 'seminar-style' END
         || ' course covering ' || lower(s.title) || ' at level ' || (lv.i + 1)
         || '. Weekly readings, ' || (2 + (s.i + lv.i) % 4) || ' assessed assignments and a final '
         || CASE (s.i * lv.i) % 2 WHEN 0 THEN 'examination.' ELSE 'portfolio review.' END,
       (2 + (s.i + lv.i) % 4)::smallint,
       9 + ((s.i * 8 + lv.i) % 112),
       timestamptz '2024-01-08 09:00+00' + ((s.i * 8 + lv.i) * interval '1 day')
FROM subjects s CROSS JOIN levels lv;

-- students: 3000
INSERT INTO students (student_number, first_name, last_name, email, date_of_birth, enrolled_on,
                      phone, guardian_name, created_at)
SELECT 'S' || to_char(2024000 + g, 'FM0000000'),
       f.v, l.v,
       lower(f.v || '.' || l.v || '.' || g) || '@students.sms-school.example',
       date '2006-01-01' + ((g * 97) % 2900),
       date '2024-09-01' + ((g * 31) % 420),
       '+44 7' || lpad(((g * 7919) % 1000000000)::text, 9, '0'),
       f2.v || ' ' || l.v,
       timestamptz '2024-08-20 10:00+00' + (g * interval '3 hours 11 minutes')
FROM generate_series(1, 3000) AS g
JOIN first_names f ON f.i = (g * 11 + g / 60) % 60
JOIN last_names l ON l.i = (g * 5 + g / 77) % 77
JOIN first_names f2 ON f2.i = (g * 23 + 7) % 60;

-- enrollments: 3 courses per student per term, 2 terms => 18000
INSERT INTO enrollments (student_id, course_id, term, status, grade, enrolled_at)
SELECT s.id,
       1 + ((s.id * 7 + k * 41 + t * 13) % 120),
       CASE t WHEN 0 THEN '2025-FALL' ELSE '2026-SPRING' END,
       CASE WHEN t = 0 AND (s.id + k) % 19 = 0 THEN 'dropped' WHEN t = 0 THEN 'completed' ELSE 'active' END,
       CASE WHEN t = 0 AND (s.id + k) % 19 <> 0 THEN round((1.0 + ((s.id * 37 + k * 11) % 300) / 100.0)::numeric, 2) END,
       timestamptz '2025-09-01 08:00+00' + t * interval '150 days' + ((s.id * 13 + k) % 2000) * interval '1 minute'
FROM students s CROSS JOIN generate_series(0, 2) AS k CROSS JOIN generate_series(0, 1) AS t;

-- audit_log: 5000 entries
INSERT INTO audit_log (occurred_at, actor_id, action, entity, entity_id, details)
SELECT timestamptz '2025-09-01 00:00+00' + g * interval '37 minutes 13 seconds',
       1 + (g * 17) % 120,
       (ARRAY['create','update','update','update','delete','login','export','grade.submit'])[1 + g % 8],
       (ARRAY['student','course','enrollment','user','report'])[1 + (g / 8) % 5],
       1 + (g * 53) % 3000,
       jsonb_build_object(
         'ip', '198.51.100.' || (1 + g % 254),
         'request_id', md5('req-' || g),
         'user_agent', (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64)','Mozilla/5.0 (Macintosh; Intel Mac OS X 14_2)',
                              'sms-mobile/3.4.1 (Android 14)','sms-mobile/3.4.0 (iOS 17.2)','python-requests/2.31'])[1 + g % 5],
         'changes', CASE WHEN g % 8 BETWEEN 1 AND 3
                         THEN jsonb_build_object('field', (ARRAY['email','phone','grade','status','title'])[1 + g % 5],
                                                 'old', substr(md5('o' || g), 1, 8), 'new', substr(md5('n' || g), 1, 8))
                         ELSE '{}'::jsonb END)
FROM generate_series(1, 5000) AS g;

ANALYZE;
